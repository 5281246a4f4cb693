/**
 * End-to-end OTLP/HTTP protobuf ingest into the embedded store.
 *
 * Method: start `release-health serve` as its own process on a fresh data directory; build 64
 * distinct payloads of SPANS_PER_REQUEST spans with the real OpenTelemetry SDK and its
 * protobuf serializer (resource with service.name/version/environment, a flag evaluation
 * event, HTTP attributes); keep CONCURRENCY senders POSTing them over keep-alive connections
 * for DURATION_S seconds; count spans acknowledged with 200 (the receiver answers only once
 * rows are in ClickHouse). Finally stop the server with SIGTERM and count the stored rows:
 * they must equal the acknowledged spans.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/otlp-ingest-throughput.ts
 * Env: DURATION_S (default 40), CONCURRENCY (8), SPANS_PER_REQUEST (1000).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { createStore } from '../src/store/store-client.ts'
import { freePort } from '../test/helpers/free-port.ts'

const DURATION_S = Number(process.env.DURATION_S ?? 40)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8)
const SPANS_PER_REQUEST = Number(process.env.SPANS_PER_REQUEST ?? 1000)
const DISTINCT_PAYLOADS = 64

function buildPayloads(): Uint8Array[] {
  const payloads: Uint8Array[] = []
  for (let p = 0; p < DISTINCT_PAYLOADS; p++) {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'checkout',
        'service.version': p % 2 === 0 ? '1.4.2' : '1.5.0',
        'deployment.environment.name': 'production',
        'host.name': `pod-${p}`,
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    const tracer = provider.getTracer('bench')
    for (let i = 0; i < SPANS_PER_REQUEST; i++) {
      const span = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER })
      span.addEvent('feature_flag.evaluation', {
        'feature_flag.key': 'new-checkout',
        'feature_flag.result.variant': i % 2 === 0 ? 'on' : 'off',
        'feature_flag.provider.name': 'bench',
      })
      span.setAttributes({
        'http.request.method': 'POST',
        'http.route': '/checkout',
        'http.response.status_code': i % 100 === 0 ? 500 : 200,
        'url.scheme': 'https',
        'server.address': 'checkout.internal',
        'user_agent.original': 'bench/1.0',
      })
      if (i % 100 === 0) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    payloads.push(
      ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array,
    )
  }
  return payloads
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
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
      await post(new Agent(), port, new Uint8Array())
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error('serve did not start within 60 s')
}

const payloads = buildPayloads()
const dataPath = mkdtempSync(join(tmpdir(), 'rh-bench-'))
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
  { stdio: ['ignore', 'inherit', 'inherit'] },
)
await waitForServer(otlpPort)

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
const statuses = new Map<number, number>()
let acceptedSpans = 0
const startedMs = performance.now()
const endMs = startedMs + DURATION_S * 1000
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, worker) => {
    for (let i = worker; performance.now() < endMs; i += CONCURRENCY) {
      const status = await post(agent, otlpPort, payloads[i % payloads.length] as Uint8Array)
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (status === 200) acceptedSpans += SPANS_PER_REQUEST
      else await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }),
)
const elapsedS = (performance.now() - startedMs) / 1000
agent.destroy()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))

const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
const result = await store.client.query({
  query: `SELECT count() AS n FROM ${store.database}.spans`,
  format: 'JSONEachRow',
})
const [{ n }] = (await result.json()) as [{ n: string }]
await store.close()
rmSync(dataPath, { recursive: true, force: true })

console.log(
  JSON.stringify(
    {
      durationS: Number(elapsedS.toFixed(1)),
      concurrency: CONCURRENCY,
      spansPerRequest: SPANS_PER_REQUEST,
      requestBytes: payloads[0]?.byteLength,
      statuses: Object.fromEntries(statuses),
      acceptedSpans,
      storedSpans: Number(n),
      spansPerSecond: Math.round(acceptedSpans / elapsedS),
    },
    null,
    2,
  ),
)
if (Number(n) !== acceptedSpans) {
  console.error(`LOSS: ${acceptedSpans} spans acknowledged, ${n} stored`)
  process.exitCode = 1
}
