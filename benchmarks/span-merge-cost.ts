/**
 * What ClickHouse's background merges of `spans` cost per span, with the schema as migrated
 * and, in the same run, with the codec and merge setting that migration 11 changed put back.
 *
 * Method: for each schema, a fresh embedded store; TOTAL realistic span rows (random trace and
 * span ids, 64 hosts, 1,000 user agents, 65,536 client ports, 1% errors, two releases, a flag)
 * are generated inside the engine and inserted as parts of BLOCK_ROWS rows (the group-commit
 * batch size at 100k spans/s), then merges run until none is left for 3 s, then
 * `OPTIMIZE ... FINAL` merges what is left into one part. Reported per 100k spans: the CPU
 * time of ClickHouse's merge threads until they settle, of the final merge, and both together
 * (every merge the rows need to reach one part of TOTAL rows); the parts left before the final
 * merge; the compressed bytes of the table and of its two attribute maps.
 *
 * Why not the benchmark's repeated requests: rows repeated verbatim compress many times better
 * than real ones and flatter the codecs.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/span-merge-cost.ts
 * Env: TOTAL (6000000), BLOCK_ROWS (25000).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { migrate } from '../src/store/migrate.ts'
import { createStore, type Store } from '../src/store/store-client.ts'
import { processUsage, threadUsage } from './kafka-process-usage.ts'

const TOTAL = Number(process.env.TOTAL ?? 6_000_000)
const BLOCK_ROWS = Number(process.env.BLOCK_ROWS ?? 25_000)

/** Migration 11 undone: the attribute maps back on ZSTD(1), merges of about five parts. */
const BEFORE_MIGRATION_11 = [
  'ALTER TABLE {db}.spans MODIFY COLUMN resource_attributes CODEC(ZSTD(1))',
  'ALTER TABLE {db}.spans MODIFY COLUMN span_attributes CODEC(ZSTD(1))',
  'ALTER TABLE {db}.spans MODIFY SETTING merge_selector_base = 5',
]

async function count(store: Store, query: string): Promise<number> {
  const result = await store.client.query({
    query,
    query_params: { db: store.database },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ n: string }>()
  return Number(row?.n ?? 0)
}

async function measure(schema: string, alters: readonly string[]) {
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-merge-cost-'))
  const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
  await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
  const db = store.database
  for (const alter of alters) await store.client.command({ query: alter.replaceAll('{db}', db) })
  const mergeSeconds = () => threadUsage(process.pid).get('MergeMutate') ?? 0
  const loadBefore = loadavg()[0]!
  const mergesBefore = mergeSeconds()
  const startNs = BigInt(Date.now()) * 1_000_000n
  for (let first = 0; first < TOTAL; first += BLOCK_ROWS) {
    // Generated in the engine: only merges are compared, the insert path is not measured here.
    await store.client.command({
      query: `INSERT INTO ${db}.spans (timestamp, service, environment, release, flags, name,
          kind, status_code, http_status_code, http_route, is_error, is_entry, duration_ns,
          trace_id, span_id, resource_attributes, span_attributes)
        SELECT fromUnixTimestamp64Nano(toInt64({start:Int64} + n * 10000)), 'checkout',
          'production', release, map('new-checkout', if(n % 4 < 2, 'on', 'off')),
          'POST /checkout', 'server', if(e, 'error', 'unset'), if(e, 500, 200), '/checkout', e,
          1, toUInt64(5e6 + cityHash64(n, 1) % 40000000),
          hex(cityHash64(n, 2)) || hex(cityHash64(n, 3)), hex(cityHash64(n, 4)),
          map('service.name', 'checkout', 'service.version', release,
            'deployment.environment.name', 'production',
            'host.name', concat('pod-', toString(cityHash64(n, 5) % 64)),
            'telemetry.sdk.name', 'opentelemetry', 'telemetry.sdk.language', 'nodejs',
            'telemetry.sdk.version', '2.0.1'),
          map('http.request.method', 'POST', 'http.route', '/checkout',
            'http.response.status_code', if(e, '500', '200'), 'url.scheme', 'https',
            'server.address', 'checkout.internal',
            'user_agent.original', concat('Mozilla/5.0 build ', toString(cityHash64(n, 7) % 1000)),
            'client.port', toString(cityHash64(n, 9) % 65536))
        FROM (SELECT number + {first:UInt64} AS n, cityHash64(n, 11) % 100 = 0 AS e,
                     if(n % 2 = 0, '1.4.2', '1.5.0') AS release
              FROM numbers({rows:UInt64}))`,
      query_params: { start: startNs, first, rows: Math.min(BLOCK_ROWS, TOTAL - first) },
      clickhouse_settings: { insert_deduplicate: 0 },
    })
  }
  for (let quiet = 0; quiet < 3;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const merging = await count(
      store,
      'SELECT count() AS n FROM system.merges WHERE database = {db:String}',
    )
    quiet = merging === 0 ? quiet + 1 : 0
  }
  const settledMergeSeconds = mergeSeconds() - mergesBefore
  const partsLeft = await count(
    store,
    "SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = 'spans' AND active",
  )
  // OPTIMIZE runs on the calling thread in the embedded engine: count the whole process.
  const beforeFinal = processUsage(process.pid).cpuSeconds
  await store.client.command({ query: `OPTIMIZE TABLE ${db}.spans FINAL` })
  const finalSeconds = processUsage(process.pid).cpuSeconds - beforeFinal
  const bytes = await store.client.query({
    query: `SELECT sum(data_compressed_bytes) AS total,
              sumIf(data_compressed_bytes, name LIKE '%attributes') AS maps
            FROM system.columns WHERE database = {db:String} AND table = 'spans'`,
    query_params: { db },
    format: 'JSONEachRow',
  })
  const [size] = await bytes.json<{ total: string; maps: string }>()
  await store.close()
  rmSync(dataPath, { recursive: true, force: true })
  const per100k = (seconds: number) => Number(((seconds * 100_000) / TOTAL).toFixed(3))
  return {
    schema,
    mergesUntilSettledCpuSecondsPer100k: per100k(settledMergeSeconds),
    partsLeft,
    finalMergeCpuSecondsPer100k: per100k(finalSeconds),
    allMergesCpuSecondsPer100k: per100k(settledMergeSeconds + finalSeconds),
    compressedMb: Number((Number(size?.total) / 1e6).toFixed(1)),
    attributeMapsMb: Number((Number(size?.maps) / 1e6).toFixed(1)),
    loadAverage: [Number(loadBefore.toFixed(1)), Number(loadavg()[0]!.toFixed(1))],
  }
}

const results = [
  await measure('before migration 11 (ZSTD(1) maps, merge_selector_base 5)', BEFORE_MIGRATION_11),
  await measure('as migrated', []),
]
console.log(JSON.stringify({ rows: TOTAL, blockRows: BLOCK_ROWS, results }, null, 2))
