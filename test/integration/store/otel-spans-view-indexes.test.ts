import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { OTEL_SPANS_VIEW, toOtelSpansViewStatement } from '../../../src/store/otel-traces.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { otelTracesDdl } from '../../helpers/otel-traces-table.ts'
import { createTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

// Three days of an exporter table, one partition a day (its PARTITION BY toDate(Timestamp)).
// Every raw read of the exporter's spans (verdicts without a rollup, the blast radius, charts)
// filters the view on `timestamp`: it must reach the table's partitions, or each read would scan
// the whole table, however many days it keeps.
const DAY_MS = 86_400_000
const START_MS = Date.UTC(2026, 10, 20)
const otelDatabase = uniqueName('otel')
const otelTable = `${otelDatabase}.otel_traces`
let store: Store
let view: string

beforeAll(async () => {
  store = createTestStore()
  await store.client.command({ query: `CREATE DATABASE ${store.database}` })
  await store.client.command({ query: `CREATE DATABASE ${otelDatabase}` })
  await store.client.command({ query: otelTracesDdl(otelTable) })
  await store.client.command({
    query: toOtelSpansViewStatement(store.database, otelTable, DEFAULT_CONFIG.mapping),
  })
  view = `${store.database}.${OTEL_SPANS_VIEW}`
  // A span every 5 minutes for three days.
  await store.client.command({
    query: `INSERT INTO ${otelTable} (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, Duration)
      SELECT fromUnixTimestamp64Milli(toInt64({startMs:Int64} + number * 300000), 'UTC'),
             hex(number), hex(number), 'GET /items', 'Server', 'checkout', 1000000
      FROM numbers(864)`,
    query_params: { startMs: START_MS },
  })
})

afterAll(async () => {
  await store?.close()
})

/**
 * The parts a query of the view reads after the table's indexes (min-max, partition, primary
 * key: `EXPLAIN indexes = 1` prints `Parts: read/of` for each, in that order), and all parts.
 */
async function partsRead(
  where: string,
  params: Record<string, unknown>,
): Promise<{ read: number; of: number }> {
  const steps = (
    await queryRows<{ explain: string }>(
      store,
      `EXPLAIN indexes = 1 SELECT count() FROM ${view} WHERE ${where}`,
      params,
    )
  )
    .map((row) => /^Parts: (\d+)\/(\d+)$/.exec(row.explain.trim()))
    .filter((match) => match !== null)
  const [first, last] = [steps[0], steps.at(-1)]
  if (first === undefined || last === undefined) throw new Error('EXPLAIN printed no index steps')
  return { read: Number(last[1]), of: Number(first[2]) }
}

describe('the otel_spans view', () => {
  it('reads only the partitions of the days a timestamp filter asks for, and all of their spans', async () => {
    const where = `timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
      AND timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`
    const window = { fromMs: START_MS + DAY_MS + 3_600_000, toMs: START_MS + DAY_MS + 7_200_000 }
    expect(await partsRead(where, window)).toEqual({ read: 1, of: 3 })
    const [row] = await queryRows<{ spans: string }>(
      store,
      `SELECT count() AS spans FROM ${view} WHERE ${where}`,
      window,
    )
    expect(Number(row?.spans)).toBe(12)
  })
})
