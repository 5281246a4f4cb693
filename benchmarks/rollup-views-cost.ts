/**
 * What the two rollup views on `spans` (`request_rollup_1m_mv`, `latency_sample_1m_mv`) cost
 * each insert, and what two other ways of feeding the same rollups would cost instead.
 *
 * Method: REQUESTS requests of 1,000 spans like those of `otlp-ingest-throughput.ts`
 * (`checkout-requests.ts`: all request entry spans with a flag evaluation, the views' worst
 * case), but spread over five minutes and 0-36 ms long, decoded into 25,000-row Native blocks
 * as `serve` writes them. A fresh
 * embedded store holds four copies of `spans`, background merges stopped on every table:
 *
 * - `spans` itself, with today's two views (each does the flags' `ARRAY JOIN` and a `GROUP BY`);
 * - no views: the insert alone;
 * - a grouped feed: one view does the `ARRAY JOIN` and the `GROUP BY` once, computing both
 *   rollups' states, into a `Null` table, and two views pass its few rows on to copies of
 *   `request_rollup_1m` and `latency_sample_1m` (the same tables, fed the same rows);
 * - one view into one table holding both rollups' columns (a different schema).
 *
 * Each block is inserted into each copy in turn (order alternating), ROUNDS times, with the
 * inserts' settings and deduplication tokens; the CPU time of the whole process (chDB's threads
 * included, from /proc) is taken around each insert. Last, the feed's rollups are compared
 * with the ones today's views made, row for row (count and a hash of every row).
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/rollup-views-cost.ts
 * Env: REQUESTS (400), ROUNDS (4).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { mean } from 'simple-statistics'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeTraces } from '../src/ingest/otlp/decode-traces.ts'
import { toMappingOptions } from '../src/model/to-span-rows.ts'
import { loadChdb } from '../src/store/embedded-store.ts'
import { toInsertSettingsClause } from '../src/store/insert-statement.ts'
import { migrate } from '../src/store/migrate.ts'
import { FLAG_ROWS } from '../src/store/schema.ts'
import { encodeSpansBlock, type SpansChunk } from '../src/store/spans-block.ts'
import { createStore } from '../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../src/store/table-columns.ts'
import { processUsage } from './kafka-process-usage.ts'
import { buildCheckoutRequest } from './checkout-requests.ts'

const REQUESTS = Number(process.env.REQUESTS ?? 400)
const ROUNDS = Number(process.env.ROUNDS ?? 4)
const SPANS_PER_REQUEST = 1_000
const REQUESTS_PER_BLOCK = 25

const mapping = toMappingOptions(DEFAULT_CONFIG)
const chunks: SpansChunk[] = []
// Spread over the past minutes and 0-36 ms long, as real requests are: the latency rollups'
// work depends on how durations vary.
const nowMs = Date.now()
const times = (p: number) => (i: number) => {
  const startMs = nowMs - 300_000 + p * 600 + i / 2
  return { startMs, endMs: startMs + (i % 37) }
}
for (let p = 0; p < REQUESTS; p++) {
  const request = buildCheckoutRequest(p, SPANS_PER_REQUEST, times(p))
  chunks.push(decodeTraces(request, 'protobuf', mapping, {}).chunk)
}
const blocks: Uint8Array[] = []
for (let b = 0; b + REQUESTS_PER_BLOCK <= chunks.length; b += REQUESTS_PER_BLOCK) {
  blocks.push(encodeSpansBlock(chunks.slice(b, b + REQUESTS_PER_BLOCK)))
}
const blockRows = REQUESTS_PER_BLOCK * SPANS_PER_REQUEST

const dataPath = mkdtempSync(join(tmpdir(), 'rh-rollup-views-'))
const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
const db = store.database

/** Both rollups' states from one `ARRAY JOIN` and one `GROUP BY` over `source`. */
const bothRollups = (source: string) => `SELECT
    toStartOfMinute(timestamp) AS minute, service, environment, release,
    flag.1 AS flag_key, flag.2 AS flag_variant,
    count() AS requests, sum(is_error) AS errors, sum(duration_ns / 1e6) AS duration_ms_sum,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency_ms,
    groupArraySortedState(256)(
      bitShiftLeft(toUInt128(cityHash64(timestamp, duration_ns)), 64) + duration_ns) AS sample
  FROM ${db}.${source}
  ${FLAG_ROWS}
  WHERE is_entry = 1
  GROUP BY minute, service, environment, release, flag_key, flag_variant`
const KEYS = 'minute, service, environment, release, flag_key, flag_variant'

for (const query of [
  `CREATE TABLE ${db}.spans_no_views AS ${db}.spans`,
  `CREATE TABLE ${db}.spans_feed AS ${db}.spans`,
  `CREATE TABLE ${db}.spans_one_view AS ${db}.spans`,
  `CREATE TABLE ${db}.feed_requests AS ${db}.request_rollup_1m`,
  `CREATE TABLE ${db}.feed_latency AS ${db}.latency_sample_1m`,
  `CREATE TABLE ${db}.both_rollups (
    minute DateTime('UTC'), service LowCardinality(String), environment LowCardinality(String),
    release LowCardinality(String), flag_key LowCardinality(String), flag_variant LowCardinality(String),
    requests SimpleAggregateFunction(sum, UInt64), errors SimpleAggregateFunction(sum, UInt64),
    duration_ms_sum SimpleAggregateFunction(sum, Float64),
    latency_ms AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    sample AggregateFunction(groupArraySorted(256), UInt128)
  ) ENGINE = AggregatingMergeTree ORDER BY (service, environment, release, flag_key, flag_variant, minute)`,
  `CREATE TABLE ${db}.feed AS ${db}.both_rollups ENGINE = Null`,
  `CREATE MATERIALIZED VIEW ${db}.feed_requests_mv TO ${db}.feed_requests AS
    SELECT ${KEYS}, requests, errors, duration_ms_sum, latency_ms FROM ${db}.feed`,
  `CREATE MATERIALIZED VIEW ${db}.feed_latency_mv TO ${db}.feed_latency AS
    SELECT ${KEYS}, sample FROM ${db}.feed`,
  `CREATE MATERIALIZED VIEW ${db}.feed_mv TO ${db}.feed AS ${bothRollups('spans_feed')}`,
  `CREATE MATERIALIZED VIEW ${db}.both_rollups_mv TO ${db}.both_rollups AS ${bothRollups('spans_one_view')}`,
]) {
  await store.client.command({ query })
}
for (const table of [
  'spans',
  'request_rollup_1m',
  'latency_sample_1m',
  'spans_no_views',
  'spans_feed',
  'spans_one_view',
  'feed_requests',
  'feed_latency',
  'both_rollups',
]) {
  await store.client.command({ query: `SYSTEM STOP MERGES ${db}.${table}` })
}

const WAYS = {
  'two views (today)': 'spans',
  'no views': 'spans_no_views',
  'grouped feed, two pass-through views': 'spans_feed',
  'one view, one table': 'spans_one_view',
} as const
const { Session } = loadChdb('chdb')
const session = new Session(dataPath)
const cpuPer100k = new Map<string, number[]>()
const loadBefore = loadavg()[0]!
let inserts = 0
for (let round = 0; round < ROUNDS; round++) {
  for (const [b, body] of blocks.entries()) {
    const ways = Object.entries(WAYS)
    for (const [way, table] of (round + b) % 2 === 0 ? ways : ways.reverse()) {
      const file = join(dataPath, `block-${inserts}.native`)
      writeFileSync(file, body)
      const settings = toInsertSettingsClause({ deduplicationToken: `bench-${inserts++}` })
      const before = processUsage(process.pid).cpuSeconds
      await session.queryAsync(
        `INSERT INTO ${db}.${table} (${TABLE_COLUMNS.spans.join(', ')}) ${settings} SELECT * FROM file('${file}', Native)`,
      )
      const cpuSeconds = processUsage(process.pid).cpuSeconds - before
      cpuPer100k.set(way, [...(cpuPer100k.get(way) ?? []), (cpuSeconds * 100_000) / blockRows])
      rmSync(file)
    }
  }
}

/** Rows and a hash of every row of `table`, to compare two rollups exactly. */
async function fingerprint(table: string): Promise<string> {
  const result = await store.client.query({
    query: `SELECT count() AS rows, sum(cityHash64(*)) AS hash FROM ${db}.${table}`,
    format: 'JSONEachRow',
  })
  return JSON.stringify(await result.json())
}
const sameRollups =
  (await fingerprint('request_rollup_1m')) === (await fingerprint('feed_requests')) &&
  (await fingerprint('latency_sample_1m')) === (await fingerprint('feed_latency'))
session.close()
await store.close()
rmSync(dataPath, { recursive: true, force: true })

console.log(
  JSON.stringify(
    {
      blocks: blocks.length,
      blockRows,
      insertsPerWay: blocks.length * ROUNDS,
      loadAverage: [Number(loadBefore.toFixed(1)), Number(loadavg()[0]!.toFixed(1))],
      // The CPU clock ticks every 10 ms, a tenth of an insert: the mean is the figure.
      cpuSecondsPer100kSpans: Object.fromEntries(
        [...cpuPer100k].map(([way, values]) => [way, Number(mean(values).toFixed(3))]),
      ),
      feedRollupsEqualToday: sameRollups,
    },
    null,
    2,
  ),
)
