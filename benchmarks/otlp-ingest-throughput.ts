/**
 * End-to-end OTLP/HTTP ingest into the embedded store, beside the store's own ceiling.
 *
 * Method: build 64 requests of SPANS_PER_REQUEST spans with the real OpenTelemetry SDK and its
 * protobuf serializer (resource with service, release, environment, host; server spans with a
 * `feature_flag.evaluation` event and six HTTP attributes; 1% errors), then VARIANTS_PER_SENDER
 * copies of each with fresh random trace and span ids and start times moved on by a millisecond
 * per copy, so that no span is stored twice and parts compress as real spans do (repeated
 * requests would flatter the inserts and merges); gzipped too when GZIP=1. Sender k sends the
 * copies of request k in turn. Start `release-health serve` as its own process on a fresh data
 * directory; keep CONCURRENCY senders POSTing the requests over keep-alive connections for DURATION_S
 * seconds after a warm-up, counting spans acknowledged with 200 (sent only once rows are in ClickHouse). The
 * server's CPU time (all threads, /proc/<pid>/stat) is read at the start and end of the
 * window, its peak RSS from /proc/<pid>/status. Then SIGTERM, and the stored rows are counted:
 * they must equal the acknowledged spans.
 *
 * The ceiling, in the same run: the same spans, mapped and encoded as Native blocks of
 * CEILING_BLOCK_ROWS rows beforehand, inserted straight into a fresh embedded store by this
 * process, whose CPU time for the inserts (engine threads included) is measured.
 *
 * Both are bracketed by `probeMachineSpeed`: on this shared machine the same work costs up to
 * twice the CPU time when the host is busy. The probes say how the host ran around the run,
 * not during it (machine-speed.ts).
 *
 * TRANSPORT=grpc sends the same messages over OTLP/gRPC instead (TraceService/Export, one
 * HTTP/2 channel with CONCURRENCY calls in flight, gzip-compressed when GZIP=1), counting
 * calls answered OK.
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/otlp-ingest-throughput.ts
 * Env: DURATION_S (60, measured after WARMUP_S (10) of the same load), CONCURRENCY (64), SPANS_PER_REQUEST (1000), GZIP (0),
 *      VARIANTS_PER_SENDER (10; 1 sends the 64 requests over and over, as this benchmark did
 *      before 2026-11-26 13:20),
 *      TRANSPORT (http),
 *      CEILING_BLOCK_ROWS (50000), CEILING_BLOCKS (20), PROFILE_DIR (unset: the server's
 *      JavaScript thread is profiled into that directory with --cpu-prof), SERVER_NODE_FLAGS
 *      (Node flags for the server, e.g. "--max-semi-space-size=32").
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { randomFillSync } from 'node:crypto'
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeTraceRequestProtobuf } from '../src/ingest/otlp/decode-protobuf.ts'
import { ProtobufReader } from '../src/ingest/otlp/protobuf-reader.ts'
import { mapSpans } from '../src/model/map-spans.ts'
import { toMappingOptions } from '../src/model/to-span-rows.ts'
import { migrate } from '../src/store/migrate.ts'
import { insertEncoded } from '../src/store/insert-rows.ts'
import { createSpansChunkBuilder, encodeSpansBlock } from '../src/store/spans-block.ts'
import { createStore } from '../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../src/store/table-columns.ts'
import { freePort } from '../test/helpers/free-port.ts'
import { decodeStatus } from '../test/helpers/otlp-status.ts'
import { processUsage, threadUsage } from './kafka-process-usage.ts'
import { buildCheckoutRequest } from './checkout-requests.ts'
import { probeMachineSpeed } from './machine-speed.ts'

const DURATION_S = Number(process.env.DURATION_S ?? 60)
const WARMUP_S = Number(process.env.WARMUP_S ?? 10)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64)
const SPANS_PER_REQUEST = Number(process.env.SPANS_PER_REQUEST ?? 1000)
const GZIP = process.env.GZIP === '1'
const CEILING_BLOCK_ROWS = Number(process.env.CEILING_BLOCK_ROWS ?? 50_000)
const CEILING_BLOCKS = Number(process.env.CEILING_BLOCKS ?? 20)
const DISTINCT_PAYLOADS = 64
const VARIANTS_PER_SENDER = Math.max(1, Number(process.env.VARIANTS_PER_SENDER ?? 10))
const TRANSPORT = process.env.TRANSPORT === 'grpc' ? 'grpc' : 'http'
const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'

/** One TraceService/Export call with the message as raw bytes: 200 for OK, else 1000 + code. */
function exportGrpc(client: Client, body: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_EXPORT,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      new Metadata(),
      (error: ServiceError | null) => resolve(error === null ? 200 : 1000 + error.code),
    )
  })
}

function buildPayloads(): Uint8Array[] {
  return Array.from({ length: DISTINCT_PAYLOADS }, (_, p) =>
    buildCheckoutRequest(p, SPANS_PER_REQUEST),
  )
}

/**
 * Field numbers from a request down to its spans (opentelemetry-proto): resource_spans,
 * scope_spans, spans. In a Span, trace_id is 1, span_id 2, the start and end times 7 and 8.
 */
const SPAN_PATH = [1, 2, 2]

/** Where each span's trace id, span id and start and end times lie in a serialized request. */
function spanFieldOffsets(body: Uint8Array): {
  ids: number[]
  idLengths: number[]
  times: number[]
} {
  const ids: number[] = []
  const idLengths: number[] = []
  const times: number[] = []
  const r = new ProtobufReader(body)
  const walk = (end: number, path: readonly number[]): void => {
    while (r.pos < end) {
      const tag = r.tag(end, 'bench')
      const field = tag >>> 3
      if (path.length < SPAN_PATH.length && field === SPAN_PATH[path.length]) {
        const inner = r.lengthDelimited(end)
        walk(inner, [...path, field])
      } else if (path.length === SPAN_PATH.length && (field === 1 || field === 2)) {
        const start = r.bytesRange(end)
        ids.push(start)
        idLengths.push(r.pos - start)
      } else if (path.length === SPAN_PATH.length && (field === 7 || field === 8)) {
        times.push(r.pos)
        r.skip(tag, end)
      } else r.skip(tag, end)
    }
  }
  walk(body.length, [])
  return { ids, idLengths, times }
}

/** `copies` of `body`, each with fresh random ids and its start and end times `copy` ms later. */
function variantsOf(body: Uint8Array, copies: number): Uint8Array[] {
  if (copies === 1) return [body]
  const { ids, idLengths, times } = spanFieldOffsets(body)
  return Array.from({ length: copies }, (_, copy) => {
    const variant = Uint8Array.from(body)
    for (let i = 0; i < ids.length; i++) randomFillSync(variant, ids[i], idLengths[i])
    const view = new DataView(variant.buffer)
    const shift = BigInt(copy) * 1_000_000n
    for (const at of times) view.setBigUint64(at, view.getBigUint64(at, true) + shift, true)
    return variant
  })
}

const refusalsShown = new Set<number>()

function post(agent: Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-length': body.byteLength,
          ...(GZIP ? { 'content-encoding': 'gzip' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          // The first refusal of each kind says why.
          const status = res.statusCode ?? 0
          if (status !== 200 && !refusalsShown.has(status)) {
            refusalsShown.add(status)
            const body = Buffer.concat(chunks)
            console.error(`first ${status}:`, describeRefusal(body, res.headers['content-type']))
          }
          resolve(status)
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** An OTLP/HTTP failure body: a `google.rpc.Status` in protobuf (code, message), else text. */
function describeRefusal(body: Buffer, contentType: string | undefined): string {
  if (contentType?.includes('protobuf') !== true) return body.toString('utf8')
  const { code, message } = decodeStatus(body)
  return `status code ${code}: ${message}`
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
    query: `SELECT count() AS n FROM ${store.database}.spans`,
    format: 'JSONEachRow',
  })
  const [{ n }] = (await result.json()) as [{ n: string }]
  await store.close()
  return Number(n)
}

/** The end-to-end run against `serve`. */
async function measureServe(bodies: readonly Uint8Array[]) {
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-bench-'))
  const otlpPort = await freePort()
  const grpcPort = await freePort()
  const profile =
    process.env.PROFILE_DIR === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_DIR]
  const server = spawn(
    process.execPath,
    [
      ...profile,
      ...(process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      'bin/release-health.js',
      'serve',
      '--data-path',
      dataPath,
      '--otlp-http-port',
      String(otlpPort),
      '--otlp-grpc-port',
      String(grpcPort),
      '--api-port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // This measures the write path at full load, so the receiver must not shed any of it
      // (benchmarks/otlp-flood.ts measures shedding).
      env: { ...process.env, RH_OTLP_TARGET_LATENCY_MS: '60000' },
    },
  )
  await waitForServer(otlpPort)

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const grpcClient =
    TRANSPORT === 'grpc'
      ? new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure(), {
          'grpc.max_send_message_length': -1,
          ...(GZIP ? { 'grpc.default_compression_algorithm': 2 } : {}),
        })
      : undefined
  const send = (body: Uint8Array) =>
    grpcClient === undefined ? post(agent, otlpPort, body) : exportGrpc(grpcClient, body)
  const statuses = new Map<number, number>()
  let acceptedSpans = 0
  let acknowledgedInAll = 0
  // The senders start together; the receiver's in-flight budget starts at one body and grows
  // as answers come back, so the first seconds shed load on purpose. The window measured is
  // the steady state after WARMUP_S: counters and CPU are read at its start and end.
  const warmupEndMs = performance.now() + WARMUP_S * 1000
  const endMs = warmupEndMs + DURATION_S * 1000
  let window:
    | { cpuSeconds: number; threads: Map<string, number>; startedMs: number; loadBefore: number }
    | undefined
  const startWindow = setTimeout(() => {
    statuses.clear()
    acceptedSpans = 0
    window = {
      cpuSeconds: processUsage(server.pid!).cpuSeconds,
      threads: threadUsage(server.pid!),
      startedMs: performance.now(),
      loadBefore: loadavg()[0]!,
    }
  }, WARMUP_S * 1000)
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; performance.now() < endMs; i += CONCURRENCY) {
        const status = await send(bodies[i % bodies.length]!)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (status === 200) {
          acceptedSpans += SPANS_PER_REQUEST
          acknowledgedInAll += SPANS_PER_REQUEST
        } else await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }),
  )
  clearTimeout(startWindow)
  if (window === undefined) throw new Error('the run ended before its warm-up did')
  const { startedMs, loadBefore, threads: threadsBefore } = window
  const elapsedS = (performance.now() - startedMs) / 1000
  const after = processUsage(server.pid!)
  const threadsAfter = threadUsage(server.pid!)
  const loadAfter = loadavg()[0]!
  agent.destroy()
  grpcClient?.close()
  server.kill('SIGTERM')
  await new Promise((resolve) => server.once('exit', resolve))
  const stored = await countStored(dataPath)
  rmSync(dataPath, { recursive: true, force: true })
  const cpuSeconds = after.cpuSeconds - window.cpuSeconds
  return {
    durationS: Number(elapsedS.toFixed(1)),
    statuses: Object.fromEntries(statuses),
    acceptedSpans,
    // Warm-up included: every span acknowledged must be stored.
    acknowledgedInAll,
    storedSpans: stored,
    spansPerSecond: Math.round(acceptedSpans / elapsedS),
    serverCpuSecondsPer100kSpans: Number(((cpuSeconds * 100_000) / acceptedSpans).toFixed(3)),
    serverCpuCores: Number((cpuSeconds / elapsedS).toFixed(2)),
    serverPeakRssMb: after.peakRssMb,
    // Where the CPU went in the window, by thread name, per 100k spans acknowledged.
    serverCpuSecondsPer100kSpansByThread: Object.fromEntries(
      [...threadsAfter]
        .map(([name, seconds]) => [name, seconds - (threadsBefore.get(name) ?? 0)] as const)
        .filter(([, seconds]) => seconds > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([name, seconds]) => [name, Number(((seconds * 100_000) / acceptedSpans).toFixed(3))]),
    ),
    loadAverage: [Number(loadBefore.toFixed(1)), Number(loadAfter.toFixed(1))],
  }
}

/** The store's ceiling: the same spans as ready Native blocks, inserted by this process. */
async function measureCeiling(payloads: readonly Uint8Array[]) {
  const mapping = toMappingOptions(DEFAULT_CONFIG)
  const chunks = payloads.map((payload) => {
    const builder = createSpansChunkBuilder()
    mapSpans(decodeTraceRequestProtobuf(payload), mapping, builder)
    return builder.finish()
  })
  const perBlock = Math.max(1, Math.round(CEILING_BLOCK_ROWS / SPANS_PER_REQUEST))
  const blocks = Array.from({ length: CEILING_BLOCKS }, (_, b) =>
    encodeSpansBlock(
      Array.from({ length: perBlock }, (_, i) => chunks[(b * perBlock + i) % chunks.length]!),
    ),
  )
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-ceiling-'))
  const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
  await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
  const before = processUsage(process.pid)
  const startedMs = performance.now()
  for (const [index, body] of blocks.entries()) {
    await insertEncoded(store, {
      table: 'spans',
      columns: TABLE_COLUMNS.spans,
      format: 'Native',
      body,
      rows: perBlock * SPANS_PER_REQUEST,
      deduplicationToken: `ceiling-${index}`,
    })
  }
  const elapsedS = (performance.now() - startedMs) / 1000
  const cpuSeconds = processUsage(process.pid).cpuSeconds - before.cpuSeconds
  const rows = blocks.length * perBlock * SPANS_PER_REQUEST
  await store.close()
  rmSync(dataPath, { recursive: true, force: true })
  return {
    rows,
    blockRows: perBlock * SPANS_PER_REQUEST,
    rowsPerSecond: Math.round(rows / elapsedS),
    cpuSecondsPer100kRows: Number(((cpuSeconds * 100_000) / rows).toFixed(3)),
  }
}

const built = buildPayloads()
// Copy v of request k at index v * 64 + k: sender k (sending indexes k, k + 64, ...) goes
// through its copies in turn.
const variants = built.map((payload) => variantsOf(payload, VARIANTS_PER_SENDER))
const payloads = Array.from(
  { length: built.length * VARIANTS_PER_SENDER },
  (_, i) => variants[i % built.length]![Math.floor(i / built.length)]!,
)
// grpc-js compresses the messages itself.
const bodies =
  GZIP && TRANSPORT === 'http' ? payloads.map((payload) => gzipSync(payload)) : payloads
const speedBefore = probeMachineSpeed()
const serve = await measureServe(bodies)
const ceiling = await measureCeiling(payloads)
const speedAfter = probeMachineSpeed()
console.log(
  JSON.stringify(
    {
      transport: TRANSPORT,
      concurrency: CONCURRENCY,
      spansPerRequest: SPANS_PER_REQUEST,
      gzip: GZIP,
      distinctRequests: payloads.length,
      requestBytes: bodies[0]?.byteLength,
      serve,
      ceiling,
      // Documents per CPU-second of a fixed workload before and after (machine-speed.ts).
      machineSpeedProbe: [speedBefore.documentsPerCpuSecond, speedAfter.documentsPerCpuSecond],
    },
    null,
    2,
  ),
)
if (serve.storedSpans !== serve.acknowledgedInAll) {
  console.error(`LOSS: ${serve.acknowledgedInAll} spans acknowledged, ${serve.storedSpans} stored`)
  process.exitCode = 1
}
