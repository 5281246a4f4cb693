/**
 * The blast radius's trace join on a large span table (issue 15): how long and how much CPU a
 * verdict's read of other services on the canary's traces costs at 10M spans.
 *
 * Method: a fresh embedded store; SPANS spans in traces of five (web → checkout → payment and
 * inventory, plus checkout's client span), two million traces over the past six hours, checkout
 * split 80/20 between 1.4.2 (baseline) and 1.5.0 (canary), generated inside ClickHouse
 * (INSERT ... SELECT FROM numbers()). Then, with the store's own query
 * (src/store/blast-radius-queries.ts):
 * - one minute: what each new verdict reads once the analysis is running (median of RUNS
 *   different minutes);
 * - one 30-minute chunk: the unit in which missing minutes are read;
 * - the whole six hours through the freezing cache (`createBlastRadius`): the first verdict
 *   of a six-hour-old analysis after a restart with nothing frozen.
 * CPU is the process's (chDB runs in-process: all its threads), from process.cpuUsage.
 *
 * SOURCE=otel_traces writes the same spans to a table of the OpenTelemetry Collector's ClickHouse
 * exporter instead (its schema as in test/helpers/otel-traces-table.ts), and the blast radius
 * reads them through the `otel_spans` view, as an analysis on `source: otel_traces` does.
 *
 * Run: node benchmarks/blast-radius-query.ts
 * Env: SPANS (default 10000000), RUNS (5), SOURCE (spans | otel_traces).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { createStore } from '../src/store/store-client.ts'
import { migrate } from '../src/store/migrate.ts'
import { queryBlastRadius } from '../src/store/blast-radius-queries.ts'
import { createBlastRadius } from '../src/verdicts/blast-radius.ts'
import { createStoreBlastRadiusSource } from '../src/store/blast-radius-queries.ts'
import { ownSpanSources, createSpanSources } from '../src/store/span-sources.ts'
import { toConfiguredSpanSource } from '../src/store/otel-traces.ts'
import { otelTracesDdl } from '../test/helpers/otel-traces-table.ts'

const SPANS = Number(process.env.SPANS ?? 10_000_000)
const RUNS = Number(process.env.RUNS ?? 5)
const SOURCE = process.env.SOURCE ?? 'spans'
if (SOURCE !== 'spans' && SOURCE !== 'otel_traces') throw new Error('SOURCE: spans or otel_traces')
const HOURS = 6
const MINUTE_MS = 60_000

const dataPath = mkdtempSync(join(tmpdir(), 'rh-blast-bench-'))
const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
const otelTable = `${store.database}_otel.otel_traces`
const config = {
  clickhouse: {
    ...DEFAULT_CONFIG.clickhouse,
    database: store.database,
    otelTraces: { table: SOURCE === 'otel_traces' ? otelTable : '', readByDefault: true },
  },
  mapping: DEFAULT_CONFIG.mapping,
}
if (SOURCE === 'otel_traces') {
  await store.client.command({ query: `CREATE DATABASE ${store.database}_otel` })
  await store.client.command({ query: otelTracesDdl(otelTable) })
}
await migrate({
  store,
  ttlDays: 30,
  configured: toConfiguredSpanSource(store.database, config).statements,
})
const sources =
  SOURCE === 'otel_traces' ? createSpanSources({ store, config }) : ownSpanSources(store)
const tables = await sources.tablesFor(undefined)
const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS
const fromMs = nowMs - HOURS * 60 * MINUTE_MS

async function measure<T>(
  run: () => Promise<T>,
): Promise<{ value: T; wallS: number; cpuS: number }> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const value = await run()
  const used = process.cpuUsage(cpu)
  return {
    value,
    wallS: (performance.now() - started) / 1000,
    cpuS: (used.user + used.system) / 1e6,
  }
}

const load = [loadavg()[0] ?? 0]
// The spans, one row each: hop 0 web (the root), 1 checkout, 2 checkout's client span, 3 payment,
// 4 inventory.
const GENERATED = `
  SELECT
    toInt64({fromMs:Int64} + intDiv(trace * {spanMs:UInt64}, {traces:UInt64}) + hop) AS start_ms,
    ['web', 'checkout', 'checkout', 'payment', 'inventory'][hop + 1] AS service,
    if(hop IN (1, 2), if(canary, '1.5.0', '1.4.2'), '7.0.0') AS release,
    hop = 2 AS client, failed,
    toUInt64([60, 40, 10, 20, 8][hop + 1] * 1000000 + cityHash64(number) % 5000000) AS duration_ns,
    concat(hex(cityHash64(trace, 1)), hex(cityHash64(trace, 2))) AS trace_id,
    hex(cityHash64(number, 3)) AS span_id,
    if(hop = 0, '', hex(cityHash64(trace, 6))) AS parent_span_id
  FROM (
    SELECT number, intDiv(number, 5) AS trace, toUInt8(number % 5) AS hop,
           cityHash64(trace, 4) % 10 < 2 AS canary,
           hop = 3 AND (cityHash64(trace, 5) % 1000) < if(canary, 30, 5) AS failed
    FROM numbers({spans:UInt64}))`
const table = SOURCE === 'otel_traces' ? otelTable : `${store.database}.spans`
const insert = await measure(() =>
  store.client.command({
    query:
      SOURCE === 'otel_traces'
        ? `INSERT INTO ${otelTable}
            (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
             ResourceAttributes, SpanAttributes, Duration, StatusCode)
           SELECT fromUnixTimestamp64Milli(start_ms, 'UTC'), trace_id, span_id, parent_span_id,
             'op', if(client, 'Client', 'Server'), service,
             map('service.name', service, 'service.version', release,
                 'deployment.environment.name', 'production'),
             map('http.route', '/', 'http.response.status_code', if(failed, '500', '200')),
             duration_ns, if(failed, 'Error', 'Unset')
           FROM (${GENERATED})`
        : `INSERT INTO ${store.database}.spans
            (timestamp, service, environment, release, flags, name, kind, status_code,
             http_status_code, http_route, is_error, is_entry, duration_ns, trace_id, span_id)
           SELECT fromUnixTimestamp64Milli(start_ms, 'UTC'), service, 'production', release, map(),
             'op', if(client, 'client', 'server'), if(failed, 'error', 'unset'),
             if(failed, 500, 200), '/', failed, NOT client, duration_ns, trace_id, span_id
           FROM (${GENERATED})`,
    query_params: {
      fromMs,
      spanMs: HOURS * 60 * MINUTE_MS,
      traces: Math.floor(SPANS / 5),
      spans: SPANS,
    },
  }),
)
await store.client.command({ query: `OPTIMIZE TABLE ${table} FINAL` })

const query = {
  service: 'checkout',
  environment: 'production',
  baseline: { release: '1.4.2' },
  canary: { release: '1.5.0' },
  latencySamplesPerMinute: 250,
}

const minutes: { wallS: number; cpuS: number; rows: number }[] = []
for (let run = 0; run < RUNS; run++) {
  const startMs = fromMs + (60 + run * 53) * MINUTE_MS
  const { value, wallS, cpuS } = await measure(() =>
    queryBlastRadius(store, { ...query, fromMs: startMs, toMs: startMs + MINUTE_MS }, tables),
  )
  minutes.push({ wallS, cpuS, rows: value.length })
}
const chunkStartMs = fromMs + 120 * MINUTE_MS
const chunk = await measure(() =>
  queryBlastRadius(
    store,
    { ...query, fromMs: chunkStartMs, toMs: chunkStartMs + 30 * MINUTE_MS },
    tables,
  ),
)
const blastRadius = createBlastRadius({ source: createStoreBlastRadiusSource(store, sources) })
const whole = await measure(() =>
  blastRadius.related(
    'bench',
    { ...query, startMs: fromMs, maxDurationMs: HOURS * 3_600_000 },
    {
      watermarkMs: nowMs + 2 * MINUTE_MS,
      nowMs,
    },
  ),
)
load.push(loadavg()[0] ?? 0)
if (!whole.value.ok) throw new Error(whole.value.error)
const payment = whole.value.services.find((service) => service.service === 'payment')

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
const fmt = (value: number): string => value.toFixed(2)
console.log(
  [
    `${SPANS.toLocaleString('en')} spans (${(SPANS / 5).toLocaleString('en')} traces of 5) over ${HOURS} h in ${table}; insert ${fmt(insert.wallS)} s wall, ${fmt(insert.cpuS)} s CPU; load average ${load.map((v) => v.toFixed(1)).join(' → ')}.`,
    '',
    '| read | spans in its window | wall | CPU (all threads) | rows |',
    '|---|---|---|---|---|',
    `| one minute (each new verdict), median of ${RUNS} | ${Math.round(SPANS / (HOURS * 60)).toLocaleString('en')} | ${fmt(median(minutes.map((m) => m.wallS)))} s | ${fmt(median(minutes.map((m) => m.cpuS)))} s | ${minutes[0]?.rows} |`,
    `| one 30-minute chunk | ${Math.round((SPANS * 30) / (HOURS * 60)).toLocaleString('en')} | ${fmt(chunk.wallS)} s | ${fmt(chunk.cpuS)} s | ${chunk.value.length} |`,
    `| all ${HOURS} h, nothing frozen (${(HOURS * 60) / 30} chunks) | ${SPANS.toLocaleString('en')} | ${fmt(whole.wallS)} s | ${fmt(whole.cpuS)} s | ${whole.value.services.length} services |`,
    '',
    `payment on the traces: baseline ${payment?.baseline.errors}/${payment?.baseline.requests} errors, canary ${payment?.canary.errors}/${payment?.canary.requests}.`,
  ].join('\n'),
)
await store.close()
rmSync(dataPath, { recursive: true, force: true })
