/**
 * End-to-end OTLP/HTTP metrics ingest into the embedded store (issue 14).
 *
 * Method: build DISTINCT_PAYLOADS distinct ExportMetricsServiceRequests with the real
 * OpenTelemetry metrics SDK and its protobuf serializer, each from one instance
 * (`service.instance.id`) of one of two releases, each holding POINTS_PER_REQUEST data points:
 * `http.server.request.duration` histograms (default explicit buckets, 16 bounds) for routes ×
 * methods × status codes, and as many `orders.processed` counter points, cumulative. Start
 * `release-health serve` as its own process on a fresh data directory; keep CONCURRENCY senders
 * POSTing the requests to /v1/metrics over keep-alive connections for DURATION_S seconds,
 * counting data points acknowledged with 200 (sent only once rows are in ClickHouse). The
 * server's CPU time (all threads, /proc/<pid>/stat) is read at the start and end of the window.
 * Then SIGTERM, and the stored rows of `metric_points` are counted: they must equal the
 * acknowledged points.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/otlp-metrics-ingest.ts
 * Env: DURATION_S (40), CONCURRENCY (64), POINTS_PER_REQUEST (1000), GZIP (0)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { createStore } from '../src/store/store-client.ts'
import { buildMetricPayload } from '../test/helpers/metric-payloads.ts'
import { freePort } from '../test/helpers/free-port.ts'
import { processUsage } from './kafka-process-usage.ts'

const DURATION_S = Number(process.env.DURATION_S ?? 40)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64)
const POINTS_PER_REQUEST = Number(process.env.POINTS_PER_REQUEST ?? 1000)
const GZIP = process.env.GZIP === '1'
const DISTINCT_PAYLOADS = 16

/** Half the points are histogram series (route × method × status), half counter series. */
async function buildPayloads(): Promise<{ bodies: Uint8Array[]; points: number }> {
  const series = POINTS_PER_REQUEST / 2
  const bodies: Uint8Array[] = []
  let points = 0
  for (let p = 0; p < DISTINCT_PAYLOADS; p++) {
    const payload = await buildMetricPayload({
      resource: {
        'service.name': 'checkout',
        'service.version': p % 2 === 0 ? '1.4.2' : '1.5.0',
        'service.instance.id': `pod-${p}`,
        'deployment.environment.name': 'production',
        'host.name': `pod-${p}`,
      },
      temporality: 'cumulative',
      record: (meter) => {
        const duration = meter.createHistogram('http.server.request.duration', { unit: 's' })
        const orders = meter.createCounter('orders.processed')
        for (let s = 0; s < series; s++) {
          const attributes = {
            'http.route': `/api/v1/resource-${Math.floor(s / 4)}`,
            'http.request.method': s % 2 === 0 ? 'GET' : 'POST',
            'http.response.status_code': s % 4 < 2 ? 200 : 500,
            'url.scheme': 'https',
          }
          for (let i = 0; i < 5; i++) duration.record(0.005 * (1 + ((s + i) % 40)), attributes)
          orders.add(1 + (s % 7), { region: `r${s % 10}`, shard: `s${s}` })
        }
      },
    })
    const counted = payload.resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .reduce((sum, metric) => sum + metric.dataPoints.length, 0)
    points = counted
    bodies.push(GZIP ? gzipSync(payload.protobuf) : payload.protobuf)
  }
  return { bodies, points }
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/metrics',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-length': body.byteLength,
          ...(GZIP ? { 'content-encoding': 'gzip' } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function waitForServer(port: number): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    try {
      await post(new Agent(), port, GZIP ? gzipSync(new Uint8Array()) : new Uint8Array())
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error('serve did not start within 60 s')
}

async function countStored(dataPath: string): Promise<number> {
  const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${store.database}.metric_points`,
    format: 'JSONEachRow',
  })
  const [{ n }] = (await result.json()) as [{ n: string }]
  await store.close()
  return Number(n)
}

const { bodies, points } = await buildPayloads()
const dataPath = mkdtempSync(join(tmpdir(), 'rh-bench-metrics-'))
const otlpPort = await freePort()
const server = spawn(
  process.execPath,
  [
    'bin/release-health.js',
    'serve',
    '--data-path',
    dataPath,
    '--otlp-http-port',
    String(otlpPort),
    '--api-port',
    '0',
    '--log-level',
    'warn',
  ],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    // The write path at full load: the receiver must not shed any of it.
    env: { ...process.env, RH_OTLP_TARGET_LATENCY_MS: '60000' },
  },
)
await waitForServer(otlpPort)
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
const statuses = new Map<number, number>()
let acceptedPoints = 0
const before = processUsage(server.pid!)
const loadBefore = loadavg()[0]!
const startedMs = performance.now()
const endMs = startedMs + DURATION_S * 1000
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, worker) => {
    for (let i = worker; performance.now() < endMs; i += CONCURRENCY) {
      const status = await post(agent, otlpPort, bodies[i % bodies.length]!)
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (status === 200) acceptedPoints += points
      else await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }),
)
const elapsedS = (performance.now() - startedMs) / 1000
const after = processUsage(server.pid!)
const loadAfter = loadavg()[0]!
agent.destroy()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
const stored = await countStored(dataPath)
rmSync(dataPath, { recursive: true, force: true })
const cpuSeconds = after.cpuSeconds - before.cpuSeconds
console.log(
  JSON.stringify(
    {
      concurrency: CONCURRENCY,
      pointsPerRequest: points,
      gzip: GZIP,
      requestBytes: bodies[0]?.byteLength,
      durationS: Number(elapsedS.toFixed(1)),
      statuses: Object.fromEntries(statuses),
      acceptedPoints,
      storedPoints: stored,
      pointsPerSecond: Math.round(acceptedPoints / elapsedS),
      serverCpuSecondsPer100kPoints: Number(((cpuSeconds * 100_000) / acceptedPoints).toFixed(3)),
      serverCpuCores: Number((cpuSeconds / elapsedS).toFixed(2)),
      serverPeakRssMb: after.peakRssMb,
      loadAverage: [Number(loadBefore.toFixed(1)), Number(loadAfter.toFixed(1))],
    },
    null,
    2,
  ),
)
if (stored !== acceptedPoints) {
  console.error(`LOSS: ${acceptedPoints} points acknowledged, ${stored} stored`)
  process.exitCode = 1
}
