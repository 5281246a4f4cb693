import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OTEL_TRACES_SOURCE } from '../../../src/analysis/policy/data-source.ts'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { silentLogger } from '../../../src/logger.ts'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import { queryMinuteCounts, type SpanTables } from '../../../src/store/cohort-queries.ts'
import { migrate } from '../../../src/store/migrate.ts'
import {
  findOtelRollup,
  OTEL_ROLLUP_VIEWS,
  readOtelRollupState,
} from '../../../src/store/otel-rollup.ts'
import { createOtelRollup, dropOtelRollup } from '../../../src/store/otel-rollup-lifecycle.ts'
import { createStoreOverviewSource } from '../../../src/store/overview-queries.ts'
import { toConfiguredSpanSource } from '../../../src/store/otel-traces.ts'
import { createSpanSources, type SpanSources } from '../../../src/store/span-sources.ts'
import { createStoreCohortSource } from '../../../src/store/store-cohort-source.ts'
import type { Store } from '../../../src/store/store-client.ts'
import {
  createVerdictService,
  type VerdictDocument,
} from '../../../src/verdicts/verdict-service.ts'
import {
  insertOtelTraces,
  otelTracesDdl,
  toOtelCohortRows,
} from '../../helpers/otel-traces-table.ts'
import { createTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

// The exporter's table holds 20 minutes of two services' requests. The rollup is made with its
// cut-over in the middle: the rows of the first ten minutes are in the table before, and are
// backfilled; the exporter writes the last ten while the command waits for the cut-over, and
// the views roll them up as they arrive.
const FROM_MS = Date.UTC(2026, 10, 20, 10, 0, 0)
const CUTOVER_MS = FROM_MS + 10 * 60_000
const TO_MS = FROM_MS + 20 * 60_000
const NOW_MS = TO_MS + 2 * 60_000
// The analyses start inside a minute: that minute is read from raw rows even with a rollup.
const START_MS = FROM_MS + 30_000

const otelDatabase = uniqueName('otel')
const otelTable = `${otelDatabase}.otel_traces`
let store: Store
let config: { readonly clickhouse: Config['clickhouse']; readonly mapping: Config['mapping'] }
let sources: SpanSources
let clock: number
let before: Record<string, unknown>[]
let after: Record<string, unknown>[]

const window = { fromMs: FROM_MS, toMs: TO_MS, extraLatencyMs: 0 }
const rows = [
  toOtelCohortRows(
    { ...window, service: 'checkout', release: '1.0', failEvery: 200, requests: 3000 },
    'enum',
  ),
  toOtelCohortRows(
    {
      ...window,
      service: 'checkout',
      release: '1.1',
      failEvery: 8,
      requests: 3000,
      extraLatencyMs: 15,
    },
    'short',
  ),
  ...(['off', 'on'] as const).map((variant) =>
    toOtelCohortRows(
      {
        ...window,
        service: 'cart',
        release: '2.0',
        flags: { 'new-cart': variant },
        failEvery: variant === 'on' ? 140 : 150,
        requests: 2500,
      },
      'short',
    ),
  ),
  toOtelCohortRows(
    { ...window, service: 'search', release: '3.0', failEvery: 100, requests: 1200 },
    'enum',
  ),
].flat()

function startMsOf(row: Record<string, unknown>): number {
  return Number(String(row.Timestamp).split('.')[0]) * 1000
}

/** Options of the rollup commands: a clock that the waits move on. */
function lifecycle(sleep: (ms: number) => Promise<void> = async () => {}) {
  return {
    store,
    config,
    ingestLagMs: 30_000,
    now: () => clock,
    sleep: async (ms: number) => {
      await sleep(ms)
      clock += ms
    },
    readerLookupMs: 0,
  }
}

beforeAll(async () => {
  store = createTestStore()
  config = {
    clickhouse: {
      ...DEFAULT_CONFIG.clickhouse,
      database: store.database,
      otelTraces: { table: otelTable, readByDefault: true },
    },
    mapping: DEFAULT_CONFIG.mapping,
  }
  await store.client.command({ query: `CREATE DATABASE ${otelDatabase}` })
  await store.client.command({ query: otelTracesDdl(otelTable) })
  await migrate({
    store,
    ttlDays: 3650,
    configured: toConfiguredSpanSource(store.database, config).statements,
  })
  // Look at the rollup's state on every query, so each test sees the state it made.
  sources = createSpanSources({ store, config, rollupLookupMs: 0 })
  before = rows.filter((row) => startMsOf(row) < CUTOVER_MS)
  after = rows.filter((row) => startMsOf(row) >= CUTOVER_MS)
  await insertOtelTraces(store, otelTable, before)
}, 120_000)

afterAll(async () => {
  await store?.close()
})

/** Requests and errors per minute of a cohort: from the view's rows, or from a rollup table. */
async function minuteCounts(source: 'view' | 'rollup'): Promise<unknown[]> {
  return queryRows(
    store,
    source === 'view'
      ? `SELECT toStartOfMinute(timestamp) AS minute, service, release, count() AS requests,
                sum(is_error) AS errors
         FROM ${store.database}.otel_spans WHERE is_entry = 1
         GROUP BY minute, service, release ORDER BY minute, service, release`
      : `SELECT minute, service, release, sum(requests) AS requests, sum(errors) AS errors
         FROM ${store.database}.otel_request_rollup_1m WHERE flag_key = ''
         GROUP BY minute, service, release ORDER BY minute, service, release`,
  )
}

async function verdictsNow(): Promise<VerdictDocument[]> {
  const verdicts = createVerdictService({
    repository: createAnalysesRepository(store),
    cohorts: createStoreCohortSource(store, silentLogger, sources),
    now: () => NOW_MS,
    sources: sources.available,
  })
  const analyses = [
    { service: 'checkout', baseline: { release: '1.0' }, canary: { release: '1.1' } },
    {
      service: 'cart',
      baseline: { release: '2.0', flag: { key: 'new-cart', variant: 'off' } },
      canary: { release: '2.0', flag: { key: 'new-cart', variant: 'on' } },
    },
  ]
  const documents: VerdictDocument[] = []
  for (const analysis of analyses) {
    const created = await verdicts.create({
      ...analysis,
      environment: 'production',
      startTime: new Date(START_MS).toISOString(),
      policy: { source: 'otel_traces' },
    })
    const document = await verdicts.evaluate(created.id, {
      requester: { name: 'test', isController: false },
    })
    // Two analyses of the same cohorts differ only in their ids.
    documents.push({ ...document!, analysisId: 'compared without it' })
  }
  return documents
}

describe("a rollup of the Collector exporter's table, made on request", () => {
  it('is made from the views after the cut-over and a backfill of the rows before it', async () => {
    clock = CUTOVER_MS - 90_000
    let written = false
    const { outcome, state } = await createOtelRollup(
      lifecycle(async () => {
        // The exporter goes on writing while the command waits for the cut-over.
        if (written) return
        written = true
        await insertOtelTraces(store, otelTable, after)
        expect((await readOtelRollupState(store))?.state).toBe('filling')
        expect((await sources.tablesFor(OTEL_TRACES_SOURCE)).rollups).toBeUndefined()
      }),
    )
    expect(outcome).toBe('created')
    expect(state).toMatchObject({ state: 'complete', cutoverMs: CUTOVER_MS, readTable: otelTable })
    expect(before.length).toBeGreaterThan(0)
    expect(after.length).toBeGreaterThan(0)
    const fromRollup = await minuteCounts('rollup')
    expect(fromRollup.length).toBe(20 * 4)
    expect(fromRollup).toEqual(await minuteCounts('view'))
  })

  it('is what verdicts read once complete, and only under the table and mapping it was made with', async () => {
    expect((await sources.tablesFor(OTEL_TRACES_SOURCE)).rollups).toEqual({
      requests: `${store.database}.otel_request_rollup_1m`,
      latencySample: `${store.database}.otel_latency_sample_1m`,
    })
    const otherMapping = { ...DEFAULT_CONFIG.mapping, releaseAttribute: 'app.version' }
    expect(await findOtelRollup(store, otelTable, otherMapping)).toBeUndefined()
    expect(
      await findOtelRollup(store, `${otelDatabase}.other_traces`, config.mapping),
    ).toBeUndefined()
  })

  it("puts the exporter's services in the release overview of an instance that reads it by default", async () => {
    const overview = createStoreOverviewSource(store, sources)
    const window = { fromMs: FROM_MS, toMs: NOW_MS, recentFromMs: TO_MS - 5 * 60_000 }
    const rows = await overview.cohorts(window)
    expect(
      rows.map((row) => [
        row.service,
        row.release,
        row.flagKey,
        row.flagVariant,
        row.recentRequests,
      ]),
    ).toEqual([
      ['cart', '2.0', '', '', 5000 / 4],
      ['cart', '', 'new-cart', 'off', 2500 / 4],
      ['cart', '', 'new-cart', 'on', 2500 / 4],
      ['checkout', '1.0', '', '', 3000 / 4],
      ['checkout', '1.1', '', '', 3000 / 4],
      ['search', '3.0', '', '', 1200 / 4],
    ])
    expect(new Set(rows.map((row) => row.firstSeenMs))).toEqual(new Set([FROM_MS]))
    // An instance that reads its own spans by default lists those (none here).
    expect(await createStoreOverviewSource(store).cohorts(window)).toEqual([])
  })

  it('is left as it is when asked for again', async () => {
    const again = await createOtelRollup(lifecycle())
    expect(again.outcome).toBe('current')
    expect(again.state.cutoverMs).toBe(CUTOVER_MS)
  })

  it("serves whole minutes from the rollup: with a service's rows gone from the exporter's table, its counts remain", async () => {
    const tables: SpanTables = await sources.tablesFor(OTEL_TRACES_SOURCE)
    const query = {
      service: 'search',
      environment: 'production',
      selector: { release: '3.0' },
      fromMs: START_MS,
      toMs: TO_MS,
      latencySamplesPerMinute: 250,
    }
    const counted = await queryMinuteCounts(store, query, tables)
    await store.client.command({
      query: `ALTER TABLE ${otelTable} DELETE WHERE ServiceName = 'search'`,
      clickhouse_settings: { mutations_sync: '2' },
    })
    const rawAfter = await queryMinuteCounts(store, query, { spans: tables.spans })
    expect(rawAfter).toEqual([])
    const rolledUp = await queryMinuteCounts(store, query, tables)
    // The first minute, which the window starts inside of, was read from raw rows.
    expect(rolledUp).toEqual(counted.slice(1))
    expect(rolledUp.length).toBe(19)
  })

  it('gives the same verdicts as the raw rows, for releases and flag variants', async () => {
    const withRollup = await verdictsNow()
    await dropOtelRollup(lifecycle())
    expect((await sources.tablesFor(OTEL_TRACES_SOURCE)).rollups).toBeUndefined()
    const fromRawRows = await verdictsNow()
    expect(withRollup.map((document) => document.decision)).toEqual(['rollback', 'continue'])
    const canaryRequests = (document: VerdictDocument) => document.metrics[0]?.canary.n
    // Every request from the start on: the analyses start half a minute after the first.
    expect(withRollup.map(canaryRequests)).toEqual([3000 - 75, 2500 - 63])
    expect(withRollup).toEqual(fromRawRows)
  })

  it("is dropped views first, leaving the exporter's table and its inserts as they were", async () => {
    const views = await queryRows(
      store,
      'SELECT name FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
      { db: store.database, names: Object.values(OTEL_ROLLUP_VIEWS) },
    )
    expect(views).toEqual([])
    const [rolled] = await queryRows<{ rows: string }>(
      store,
      `SELECT count() AS rows FROM ${store.database}.otel_request_rollup_1m`,
    )
    expect(Number(rolled?.rows)).toBe(0)
    await insertOtelTraces(store, otelTable, rows.slice(0, 10))
    const [stored] = await queryRows<{ rows: string }>(
      store,
      `SELECT count() AS rows FROM ${otelTable}`,
    )
    // Every row written, less the service deleted above (a request and its child each).
    expect(Number(stored?.rows)).toBe(rows.length - 2 * 1200 + 10)
  })

  it('starts over after a run that stopped before its backfill', async () => {
    clock = NOW_MS
    await expect(
      createOtelRollup(lifecycle(() => Promise.reject(new Error('interrupted')))),
    ).rejects.toThrow('interrupted')
    expect((await readOtelRollupState(store))?.state).toBe('filling')
    expect((await sources.tablesFor(OTEL_TRACES_SOURCE)).rollups).toBeUndefined()
    const { outcome, state } = await createOtelRollup(lifecycle())
    expect(outcome).toBe('created')
    expect(state.state).toBe('complete')
    expect(await minuteCounts('rollup')).toEqual(await minuteCounts('view'))
  })
})
