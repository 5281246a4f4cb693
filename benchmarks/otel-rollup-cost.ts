/**
 * What the exporter table's rollup (`release-health otel-traces rollup`) costs and saves.
 *
 * Method: a fresh embedded store and two tables with the Collector ClickHouse exporter's
 * schema; exporter rows (half request entry spans of two releases, half their children; a
 * quarter of the requests with a flag evaluation event) are generated inside ClickHouse with
 * `INSERT ... SELECT FROM numbers()`. CPU time is the whole process's (chDB's threads
 * included), from /proc.
 *
 * 1. What the views add to each of the exporter's inserts: INSERTS inserts of BATCH rows into
 *    the table without views, then into the one with the rollup's two materialized views; the
 *    difference per insert. At small batches it is the views' fixed cost per insert.
 * 2. What a row costs to roll up: the backfill of N rows (spread over two hours) into the
 *    rollup, which runs the views' aggregation once over all of them.
 * 3. What the rollup saves: one cohort's verdict queries (per-minute counts and the latency
 *    sample over the two hours) from the raw rows and from the rollup, REPEATS times each.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH N=1000000 node benchmarks/otel-rollup-cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { queryLatencySampleByMinute, queryMinuteCounts } from '../src/store/cohort-queries.ts'
import type { SpanTables } from '../src/store/cohort-queries.ts'
import { migrate } from '../src/store/migrate.ts'
import {
  toOtelRollupBackfillStatements,
  toOtelRollupViewStatements,
} from '../src/store/otel-rollup.ts'
import { toOtelSpansViewStatement } from '../src/store/otel-traces.ts'
import { createStore } from '../src/store/store-client.ts'
import { otelTracesDdl } from '../test/helpers/otel-traces-table.ts'
import { processUsage } from './kafka-process-usage.ts'

const N = Number(process.env.N ?? 1_000_000)
const BATCH = Number(process.env.BATCH ?? 1_000)
const INSERTS = Number(process.env.INSERTS ?? 30)
const REPEATS = 3
const FROM_MS = Date.UTC(2026, 10, 26, 10, 0, 0)
const SPAN_GAP_MS = 7_200_000 / N

const dataPath = mkdtempSync(join(tmpdir(), 'rh-otel-rollup-'))
const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
const db = store.database
const mapping = DEFAULT_CONFIG.mapping
await migrate({ store, ttlDays: 3650 })
await store.client.command({ query: 'CREATE DATABASE IF NOT EXISTS otel' })
for (const table of ['otel.plain', 'otel.rolled']) {
  await store.client.command({ query: otelTracesDdl(table) })
}

/** Exporter rows `offset`..`offset + count`: a request entry span, then its child. */
function insertStatement(table: string, offset: number, count: number): string {
  const request = 'intDiv(number, 2)'
  const flagged = `${request} % 4 = 0`
  return `INSERT INTO ${table} (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind,
      ServiceName, ResourceAttributes, SpanAttributes, Duration, StatusCode,
      \`Events.Timestamp\`, \`Events.Name\`, \`Events.Attributes\`)
    SELECT
      toDateTime64(${FROM_MS / 1000}, 9, 'UTC') + toIntervalMicrosecond(toUInt64(${request} * 2 * ${SPAN_GAP_MS * 1000})) AS ts,
      lower(hex(sipHash128(${request}))),
      lower(leftPad(hex(cityHash64(number)), 16, '0')),
      if(number % 2 = 0, '', lower(leftPad(hex(cityHash64(number - 1)), 16, '0'))),
      if(number % 2 = 0, 'GET /items', 'SELECT items'),
      if(number % 2 = 0, 'Server', 'Internal'),
      'checkout',
      map('service.version', if(${request} % 2 = 0, '1.0', '1.1'),
          'deployment.environment.name', 'production'),
      map('http.response.status_code', if(${request} % 97 = 0, '500', '200'), 'http.route', '/items'),
      10000000 + (cityHash64(number) % 50000000),
      'Unset',
      if(${flagged}, [ts], []),
      if(${flagged}, ['feature_flag.evaluation'], []),
      if(${flagged}, [map('feature_flag.key', 'new-cart',
        'feature_flag.result.variant', if(${request} % 8 = 0, 'on', 'off'))], [])
    FROM numbers(${offset}, ${count})`
}

async function cpuOf(work: () => Promise<void>): Promise<{ cpuSeconds: number; wallS: number }> {
  const cpuBefore = processUsage(process.pid).cpuSeconds
  const startedMs = performance.now()
  await work()
  return {
    cpuSeconds: processUsage(process.pid).cpuSeconds - cpuBefore,
    wallS: (performance.now() - startedMs) / 1000,
  }
}

/** INSERTS inserts of BATCH rows, as the exporter sends them. */
async function insertBatches(table: string) {
  return cpuOf(async () => {
    for (let insert = 0; insert < INSERTS; insert++) {
      await store.client.command({ query: insertStatement(table, insert * BATCH, BATCH) })
    }
  })
}

const loadStart = loadavg()[0] ?? 0
// Views from a cut-over before every row: each insert feeds them.
for (const statement of toOtelRollupViewStatements(db, 'otel.rolled', mapping, FROM_MS)) {
  await store.client.command({ query: statement })
}
const plain = await insertBatches('otel.plain')
const rolled = await insertBatches('otel.rolled')
// N rows already in a table when the rollup is made, backfilled once.
await store.client.command({ query: 'TRUNCATE TABLE otel.plain' })
await store.client.command({ query: insertStatement('otel.plain', 0, N) })
await store.client.command({ query: `TRUNCATE TABLE ${db}.otel_request_rollup_1m` })
await store.client.command({ query: `TRUNCATE TABLE ${db}.otel_latency_sample_1m` })
const backfill = await cpuOf(async () => {
  for (const statement of toOtelRollupBackfillStatements(
    db,
    'otel.plain',
    mapping,
    FROM_MS + 3 * 3_600_000,
  )) {
    await store.client.command({ query: statement })
  }
})

await store.client.command({ query: toOtelSpansViewStatement(db, 'otel.plain', mapping) })
const view = `${db}.otel_spans`
const query = {
  service: 'checkout',
  environment: 'production',
  selector: { release: '1.1' },
  fromMs: FROM_MS,
  toMs: FROM_MS + 7_200_000,
  latencySamplesPerMinute: 250,
}
async function verdictQueries(tables: SpanTables) {
  const results = []
  let requests = 0
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    results.push(
      await cpuOf(async () => {
        const minutes = await queryMinuteCounts(store, query, tables)
        await queryLatencySampleByMinute(store, query, minutes, tables)
        requests = minutes.reduce((sum, minute) => sum + minute.requests, 0)
      }),
    )
  }
  return { requests, results }
}
const raw = await verdictQueries({ spans: view })
const fromRollup = await verdictQueries({
  spans: view,
  rollups: {
    requests: `${db}.otel_request_rollup_1m`,
    latencySample: `${db}.otel_latency_sample_1m`,
  },
})

const perInsertMs = (cpuSeconds: number) => ((cpuSeconds * 1000) / INSERTS).toFixed(1)
const show = (run: { cpuSeconds: number; wallS: number }) =>
  `${run.wallS.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} CPU-s`
console.log(
  JSON.stringify(
    {
      rows: N,
      inserts: `${INSERTS} of ${BATCH} rows`,
      loadAverage: [loadStart.toFixed(1), (loadavg()[0] ?? 0).toFixed(1)],
      insertsWithoutViews: `${show(plain)}, ${perInsertMs(plain.cpuSeconds)} CPU-ms per insert`,
      insertsWithViews: `${show(rolled)}, ${perInsertMs(rolled.cpuSeconds)} CPU-ms per insert`,
      viewsAddPerInsertMs: perInsertMs(rolled.cpuSeconds - plain.cpuSeconds),
      backfill: `${show(backfill)}, ${((backfill.cpuSeconds * 100_000) / N).toFixed(3)} CPU-s per 100k rows`,
      cohortRequests: raw.requests,
      verdictQueriesRaw: raw.results.map(show),
      verdictQueriesRollup: fromRollup.results.map(show),
      sameRequests: raw.requests === fromRollup.requests,
    },
    null,
    2,
  ),
)
await store.close()
rmSync(dataPath, { recursive: true, force: true })
