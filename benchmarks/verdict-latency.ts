/**
 * Verdict latency over a large embedded store, and the cached verdict endpoint under load.
 *
 * Method: a fresh embedded store; SPANS request spans of "checkout" split evenly between
 * releases 1.0 (baseline, 1% errors) and 1.1 (canary, 1.2% errors) over the past 60 minutes,
 * generated inside ClickHouse (INSERT ... SELECT FROM numbers(), so the materialized rollup
 * is fed as by real ingest), then background merges are let settle. Uncached: the verdict service with caching off evaluates the
 * analysis RUNS times; the median and max wall time are reported. Cached: the API serves the
 * same verdict while autocannon, in its own process, sends GETs over 50 connections for
 * LOAD_S seconds. Both are bracketed by `probeMachineSpeed` (machine-speed.ts).
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/verdict-latency.ts
 * Env: SPANS (default 1000000), RUNS (7), LOAD_S (20).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { createStore } from '../src/store/store-client.ts'
import { migrate } from '../src/store/migrate.ts'
import { createAnalysesRepository } from '../src/store/analyses-repository.ts'
import { createStoreCohortSource } from '../src/store/store-cohort-source.ts'
import { createVerdictService } from '../src/verdicts/verdict-service.ts'
import { createApiServer } from '../src/api/api-server.ts'
import { silentLogger } from '../src/logger.ts'
import { loadavg } from 'node:os'
import { max, median, quantile } from 'simple-statistics'
import { probeMachineSpeed } from './machine-speed.ts'

const SPANS = Number(process.env.SPANS ?? 1_000_000)
const RUNS = Number(process.env.RUNS ?? 7)
const LOAD_S = Number(process.env.LOAD_S ?? 20)

const dataPath = mkdtempSync(join(tmpdir(), 'rh-verdict-bench-'))
const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
await migrate({ store, ttlDays: 30 })
const nowMs = Date.now()
const startMs = nowMs - 61 * 60_000

const insertStarted = performance.now()
await store.client.command({
  query: `INSERT INTO ${store.database}.spans
    (timestamp, service, environment, release, flags, name, kind, status_code, http_status_code,
     http_route, is_error, is_entry, duration_ns, trace_id, span_id)
    SELECT
      fromUnixTimestamp64Milli(toInt64({fromMs:Int64} + intDiv(number * 3600000, {spans:UInt64})), 'UTC'),
      'checkout', 'production',
      if(number % 2 = 0, '1.0', '1.1'),
      map('new-cart', if(number % 4 < 2, 'on', 'off')),
      'GET /cart', 'server',
      if(is_error, 'error', 'unset'),
      if(is_error, 500, 200),
      '/cart', is_error, 1,
      toUInt64(5e6 + (cityHash64(number) % 40000000)),
      hex(cityHash64(number, 1)), hex(cityHash64(number, 2))
    FROM (SELECT number, (cityHash64(number, 3) % 1000) < if(number % 2 = 0, 10, 12) AS is_error
          FROM numbers({spans:UInt64}))`,
  query_params: { fromMs: nowMs - 60 * 60_000, spans: SPANS },
})
const insertS = (performance.now() - insertStarted) / 1000

// Verdicts are timed over settled tables, as a running store has them: the bulk insert leaves
// many fresh parts that background merges combine over the next minute or so.
const settleStarted = performance.now()
for (let quiet = 0; quiet < 3 && performance.now() - settleStarted < 300_000;) {
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM system.merges WHERE database = {db:String}',
    query_params: { db: store.database },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ n: string }>()
  quiet = Number(row?.n) === 0 ? quiet + 1 : 0
}
const settleS = (performance.now() - settleStarted) / 1000
const partsResult = await store.client.query({
  query: `SELECT table, count() AS parts FROM system.parts
          WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
  query_params: { db: store.database },
  format: 'JSONEachRow',
})
const activeParts = Object.fromEntries(
  (await partsResult.json<{ table: string; parts: string }>()).map((row) => [
    row.table,
    Number(row.parts),
  ]),
)

const repository = createAnalysesRepository(store)
const uncached = createVerdictService({
  repository,
  cohorts: createStoreCohortSource(store, silentLogger),
  now: () => nowMs,
  cacheMs: 0,
})
const analysis = await uncached.create({
  service: 'checkout',
  environment: 'production',
  baseline: { release: '1.0' },
  canary: { release: '1.1' },
  startTime: new Date(startMs).toISOString(),
})

const speedBefore = probeMachineSpeed()
const timesMs: number[] = []
let decision = ''
for (let run = 0; run < RUNS; run++) {
  const started = performance.now()
  const verdict = await uncached.evaluate(analysis.id, {
    atMs: nowMs - run,
    requester: { name: 'bench', isController: false },
  })
  timesMs.push(performance.now() - started)
  decision = verdict?.decision ?? 'none'
}
const cached = createVerdictService({
  repository,
  cohorts: createStoreCohortSource(store, silentLogger),
  now: Date.now,
  cacheMs: 60_000,
})
const api = await createApiServer({
  verdicts: cached,
  isReady: () => Promise.resolve({ ready: true }),
  version: 'bench',
})
const url = `${await api.listen({ host: '127.0.0.1', port: 0 })}/api/v1/analyses/${analysis.id}/verdict`
await fetch(url)
// autocannon runs in its own process; this one keeps serving the API meanwhile.
const { stdout } = await promisify(execFile)(
  'autocannon',
  ['-c', '50', '-d', String(LOAD_S), '-j', url],
  { maxBuffer: 64 * 1024 * 1024 },
)
const load = JSON.parse(stdout) as {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number }
  non2xx: number
  errors: number
}
await api.close()
const speedAfter = probeMachineSpeed()
await store.close()
rmSync(dataPath, { recursive: true, force: true })

console.log(
  JSON.stringify(
    {
      spans: SPANS,
      insertSeconds: Number(insertS.toFixed(1)),
      mergesSettledSeconds: Number(settleS.toFixed(1)),
      activeParts,
      loadAverage: Number(loadavg()[0]!.toFixed(1)),
      // Documents per CPU-second of a fixed workload around the timed part (machine-speed.ts).
      machineSpeedProbe: [speedBefore.documentsPerCpuSecond, speedAfter.documentsPerCpuSecond],
      decision,
      uncachedMs: {
        median: Math.round(median(timesMs)),
        p90: Math.round(quantile(timesMs, 0.9)),
        max: Math.round(max(timesMs)),
        runs: RUNS,
      },
      cached: {
        requestsPerSecond: load.requests.average,
        total: load.requests.total,
        p50Ms: load.latency.p50,
        p99Ms: load.latency.p99,
        non2xx: load.non2xx,
        errors: load.errors,
      },
    },
    null,
    2,
  ),
)
