/**
 * A flood of large OTLP/HTTP requests against `release-health serve`, as in issue 9: are they
 * all answered promptly (200, or 429/503 with Retry-After), does memory stay bounded, and is
 * normal traffic served right after?
 *
 * Method: build one protobuf request of about BODY_MIB MiB of spans with the OpenTelemetry
 * SDK's serializer; start `serve` on a fresh embedded store with default settings; open
 * CONNECTIONS connections and send the request on each at once, ROUNDS times, recording each
 * answer's status, Retry-After and time from the first byte sent to the answer. The server's
 * peak RSS comes from /proc/<pid>/status (VmHWM). Then ten 1,000-span requests, one after the
 * other, must each get 200.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/otlp-flood.ts
 * Env: CONNECTIONS (64), BODY_MIB (12), ROUNDS (3).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { SpanKind } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { freePort } from '../test/helpers/free-port.ts'
import { processUsage } from './kafka-process-usage.ts'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64)
const BODY_MIB = Number(process.env.BODY_MIB ?? 12)
const ROUNDS = Number(process.env.ROUNDS ?? 3)

function buildBody(targetBytes: number): Uint8Array {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'flood',
      'service.version': '1.0.0',
      'deployment.environment.name': 'production',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('flood')
  // About 420 bytes per span with these attributes (measured on a sample below).
  const sample = (count: number): Uint8Array => {
    exporter.reset()
    for (let i = 0; i < count; i++) {
      const span = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER })
      span.setAttributes({
        'http.request.method': 'POST',
        'http.route': '/checkout',
        'http.response.status_code': 200,
        'url.path': `/checkout/${i}`,
        'user_agent.original': 'flood/1.0',
      })
      span.end()
    }
    return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array
  }
  const perSpan = sample(1_000).byteLength / 1_000
  return sample(Math.floor(targetBytes / perSpan))
}

interface Answer {
  readonly status: number
  readonly retryAfter: string | undefined
  readonly ms: number
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<Answer> {
  const startedMs = performance.now()
  return new Promise((resolve) => {
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
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            ms: performance.now() - startedMs,
          }),
        )
      },
    )
    // A refused request's body may be cut off by the server's answer: that is an answer too.
    req.on('error', () =>
      resolve({ status: -1, retryAfter: undefined, ms: performance.now() - startedMs }),
    )
    req.end(body)
  })
}

async function waitForServer(port: number): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const answer = await post(new Agent(), port, new Uint8Array())
    if (answer.status > 0) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('serve did not start within 60 s')
}

const body = buildBody(BODY_MIB * 1_048_576)
const small = buildBody(420_000)
const dataPath = mkdtempSync(join(tmpdir(), 'rh-flood-'))
const port = await freePort()
const server = spawn(
  process.execPath,
  [
    'bin/release-health.js',
    'serve',
    '--data-path',
    dataPath,
    '--otlp-http-port',
    String(port),
    '--api-port',
    '0',
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
)
await waitForServer(port)

const loadBefore = loadavg()[0]!
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
const answers: Answer[] = []
for (let round = 0; round < ROUNDS; round++) {
  answers.push(
    ...(await Promise.all(Array.from({ length: CONNECTIONS }, () => post(agent, port, body)))),
  )
}
const afterFlood: Answer[] = []
for (let i = 0; i < 10; i++) afterFlood.push(await post(agent, port, small))
const { peakRssMb } = processUsage(server.pid!)
agent.destroy()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
rmSync(dataPath, { recursive: true, force: true })

const byStatus = new Map<number, number>()
for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1)
const refused = answers.filter((answer) => answer.status === 429 || answer.status === 503)
const timing = (some: readonly Answer[]) => {
  const sorted = some.map((answer) => answer.ms).sort((a, b) => a - b)
  return sorted.length === 0
    ? {}
    : {
        median: Math.round(sorted[Math.floor(sorted.length / 2)]!),
        p99: Math.round(sorted[Math.floor(sorted.length * 0.99)]!),
        max: Math.round(sorted.at(-1)!),
      }
}
console.log(
  JSON.stringify(
    {
      connections: CONNECTIONS,
      rounds: ROUNDS,
      bodyBytes: body.byteLength,
      statuses: Object.fromEntries(byStatus),
      refusedWithRetryAfter: refused.filter((answer) => answer.retryAfter !== undefined).length,
      refused: refused.length,
      answerMs: timing(answers),
      acceptedAnswerMs: timing(answers.filter((answer) => answer.status === 200)),
      refusedAnswerMs: timing(refused),
      afterFlood: {
        statuses: afterFlood.map((answer) => answer.status),
        maxMs: Math.round(Math.max(...afterFlood.map((answer) => answer.ms))),
      },
      serverPeakRssMb: peakRssMb,
      loadAverage: [Number(loadBefore.toFixed(1)), Number(loadavg()[0]!.toFixed(1))],
    },
    null,
    2,
  ),
)
