/**
 * What one pass of the flag-evaluation linker costs with N evaluations waiting.
 *
 * Method: a fresh embedded store with N request entry spans over the past five minutes and, for
 * each, a `feature_flag.evaluation` log record naming it (both generated inside ClickHouse with
 * `INSERT ... SELECT FROM numbers()`, so `flag_evaluations_mv` is fed as by real ingest); then
 * PASSES linker passes in a row, each timed (wall) and its CPU time read from /proc for the whole
 * process (chDB's threads included). The first pass links every evaluation; the later ones find
 * nothing new but still join what waits within `spanWaitMs`, as every pass does in production.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH N=100000 node benchmarks/flag-linker-cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { createFlagEvaluationLinker } from '../src/store/flag-evaluation-linker.ts'
import { migrate } from '../src/store/migrate.ts'
import { createStore } from '../src/store/store-client.ts'
import { processUsage } from './kafka-process-usage.ts'

const N = Number(process.env.N ?? 100_000)
const PASSES = Number(process.env.PASSES ?? 3)

const dataPath = mkdtempSync(join(tmpdir(), 'rh-linker-'))
const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
const db = store.database
const ids = `lower(hex(sipHash128(number))), lower(leftPad(hex(cityHash64(number)), 16, '0'))`
await store.client.command({
  query: `INSERT INTO ${db}.spans
    (timestamp, service, environment, release, name, kind, is_entry, duration_ns, trace_id, span_id)
    SELECT now64(9) - toIntervalMillisecond(number % 300000), 'svc', 'prod', '1.0', 'GET',
           'server', 1, 1000000 + number % 1000, ${ids}
    FROM numbers(${N})`,
})
await store.client.command({
  query: `INSERT INTO ${db}.logs
    (timestamp, observed_timestamp, service, environment, release, event_name, flag_key,
     flag_variant, trace_id, span_id)
    SELECT now64(9) - toIntervalMillisecond(number % 300000), now64(9), 'svc', 'prod', '1.0',
           'feature_flag.evaluation', 'f', if(number % 2 = 0, 'on', 'off'), ${ids}
    FROM numbers(${N})`,
})
const linker = createFlagEvaluationLinker({ store, intervalMs: 2_000, spanWaitMs: 120_000 })
const passes = []
for (let pass = 0; pass < PASSES; pass++) {
  const cpuBefore = processUsage(process.pid).cpuSeconds
  const startedMs = performance.now()
  const result = await linker.linkOnce()
  passes.push({
    wallMs: Math.round(performance.now() - startedMs),
    cpuSeconds: Number((processUsage(process.pid).cpuSeconds - cpuBefore).toFixed(2)),
    result,
  })
}
const result = await store.client.query({
  query: `SELECT count() AS n FROM ${db}.span_log_flags`,
  format: 'JSONEachRow',
})
const [{ n }] = (await result.json()) as [{ n: string }]
await store.close()
rmSync(dataPath, { recursive: true, force: true })
console.log(
  JSON.stringify({ evaluations: N, linked: Number(n), passes, loadAverage: loadavg()[0] }, null, 2),
)
