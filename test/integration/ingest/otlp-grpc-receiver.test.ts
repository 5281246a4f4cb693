import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect, constants as http2 } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zstdCompressSync } from 'node:zlib'
import { compress as snappyCompress } from 'snappyjs'
import {
  Client,
  credentials,
  Metadata,
  status as GrpcStatus,
  type ServiceError,
} from '@grpc/grpc-js'
import protobuf from 'protobufjs/minimal.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildMetricPayload } from '../../helpers/metric-payloads.ts'
import { buildLogsPayload } from '../../helpers/otel-log-payloads.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { decodePartialSuccess } from '../../helpers/otlp-status.ts'
import { createTestStore, queryRows, waitFor } from '../../helpers/store.ts'

const MAX_MESSAGE_BYTES = 256 * 1024
const TOKEN = 'ingest-token-0123456789abcdef'
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export'
const LOGS = '/opentelemetry.proto.collector.logs.v1.LogsService/Export'
const METRICS = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'

let app: RunningApp
let client: Client

beforeAll(async () => {
  app = await startTestApp({
    'otlp.grpc.maxMessageBytes': MAX_MESSAGE_BYTES,
    'auth.tokens': [`ingest:${TOKEN}`],
  })
  client = new Client(hostOf(app.otlpGrpcUrl!), credentials.createInsecure())
})
afterAll(async () => {
  client?.close()
  await app?.stop()
})

function hostOf(url: string): string {
  return new URL(url).host
}

function authorized(): Metadata {
  const metadata = new Metadata()
  metadata.set('authorization', `Bearer ${TOKEN}`)
  return metadata
}

interface Answer {
  readonly code: GrpcStatus
  readonly details: string
  readonly response?: Buffer
  readonly trailers?: Metadata
}

/** A unary call with the message as raw bytes, as an OTLP exporter makes it. */
function call(
  path: string,
  message: Uint8Array,
  metadata = authorized(),
  through = client,
): Promise<Answer> {
  return new Promise((resolve) => {
    through.makeUnaryRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(message),
      metadata,
      { deadline: Date.now() + 60_000 },
      (error: ServiceError | null, response?: Buffer) => {
        if (error === null) resolve({ code: GrpcStatus.OK, details: '', response: response! })
        else resolve({ code: error.code, details: error.details, trailers: error.metadata })
      },
    )
  })
}

function spans(release: string, count = 3) {
  return buildTracePayload({
    service: 'grpc-cart',
    release,
    environment: 'staging',
    spans: Array.from({ length: count }, (_, index) => ({
      name: 'GET /cart',
      kind: 'server' as const,
      flags: { 'fast-cart': index % 2 === 0 ? 'on' : 'off' },
    })),
  })
}

async function storedSpans(release: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.spans WHERE release = {release:String}`,
    { release },
  )
  return Number(row?.n)
}

/**
 * One call over a bare HTTP/2 stream, its message compressed by the caller: how a client
 * whose gRPC library knows zstd or snappy (the Collector's configgrpc) sends it; grpc-js
 * compresses with gzip and deflate only.
 */
function rawCall(
  path: string,
  compressed: Uint8Array,
  encoding: string,
): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(app.otlpGrpcUrl!)
    session.on('error', reject)
    const frame = Buffer.alloc(5 + compressed.length)
    frame[0] = 1
    frame.writeUInt32BE(compressed.length, 1)
    frame.set(compressed, 5)
    const stream = session.request({
      [http2.HTTP2_HEADER_METHOD]: 'POST',
      [http2.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-encoding': encoding,
      authorization: `Bearer ${TOKEN}`,
    })
    let headerStatus: string | undefined
    let headerMessage = ''
    stream.on('response', (headers) => {
      headerStatus = headers['grpc-status'] as string | undefined
      headerMessage = (headers['grpc-message'] as string | undefined) ?? ''
    })
    stream.on('trailers', (trailers) => {
      headerStatus = trailers['grpc-status'] as string
      headerMessage = (trailers['grpc-message'] as string | undefined) ?? ''
    })
    stream.on('data', () => undefined)
    stream.on('close', () => {
      session.close()
      resolve({ status: Number(headerStatus), message: decodeURIComponent(headerMessage) })
    })
    stream.on('error', reject)
    stream.end(frame)
  })
}

/** The RetryInfo delay in seconds from a `grpc-status-details-bin` trailer, if any. */
function retryDelaySeconds(trailers: Metadata | undefined): number | undefined {
  const details = trailers?.get('grpc-status-details-bin')[0]
  if (!(details instanceof Buffer)) return undefined
  const status = protobuf.Reader.create(details)
  while (status.pos < status.len) {
    const tag = status.uint32()
    if (tag >>> 3 !== 3) {
      status.skipType(tag & 7)
      continue
    }
    const any = protobuf.Reader.create(status.bytes())
    let typeUrl = ''
    let value: Uint8Array = new Uint8Array()
    while (any.pos < any.len) {
      const anyTag = any.uint32()
      if (anyTag >>> 3 === 1) typeUrl = any.string()
      else if (anyTag >>> 3 === 2) value = any.bytes()
      else any.skipType(anyTag & 7)
    }
    if (typeUrl !== 'type.googleapis.com/google.rpc.RetryInfo') continue
    const retryInfo = protobuf.Reader.create(value)
    retryInfo.uint32()
    const duration = protobuf.Reader.create(retryInfo.bytes())
    duration.uint32()
    return Number(duration.int64())
  }
  return undefined
}

describe('OTLP/gRPC receiver', () => {
  it('stores spans from TraceService/Export before answering OK with an empty response', async () => {
    const answer = await call(TRACES, spans('grpc-1').protobuf)
    expect(answer.code).toBe(GrpcStatus.OK)
    expect(answer.response).toHaveLength(0)
    expect(await storedSpans('grpc-1')).toBe(3)
  })

  it('stores log records from LogsService/Export', async () => {
    const payload = buildLogsPayload({
      service: 'grpc-cart',
      release: 'grpc-logs-1',
      logs: [{ body: 'cart emptied', severityNumber: 9, severityText: 'INFO' }],
    })
    const answer = await call(LOGS, payload.protobuf)
    expect(answer.code).toBe(GrpcStatus.OK)
    const rows = await queryRows<Record<string, unknown>>(
      app.store,
      `SELECT service, environment, severity_text, body FROM ${app.store.database}.logs
       WHERE release = 'grpc-logs-1'`,
    )
    expect(rows).toEqual([
      {
        service: 'grpc-cart',
        environment: 'production',
        severity_text: 'INFO',
        body: 'cart emptied',
      },
    ])
  })

  it('stores metric data points from MetricsService/Export', async () => {
    const payload = await buildMetricPayload({
      resource: { 'service.name': 'grpc-meter', 'service.version': 'grpc-metrics-1' },
      temporality: 'delta',
      record: (meter) => meter.createCounter('http.server.requests').add(7, { route: '/cart' }),
    })
    const answer = await call(METRICS, payload.protobuf)
    expect(answer.code).toBe(GrpcStatus.OK)
    const rows = await queryRows<Record<string, unknown>>(
      app.store,
      `SELECT service, metric_name, temporality, value FROM ${app.store.database}.metric_points
       WHERE release = 'grpc-metrics-1'`,
    )
    expect(rows).toEqual([
      {
        service: 'grpc-meter',
        metric_name: 'http.server.requests',
        temporality: 'delta',
        value: 7,
      },
    ])
  })

  it('answers partial_success for rejected spans and stores the rest', async () => {
    // A span from 2001 is older than the retention (clickhouse.ttlDays): refused alone.
    const payload = buildTracePayload({
      service: 'grpc-cart',
      release: 'grpc-partial',
      spans: [
        { name: 'GET /cart', kind: 'server', startTimeUnixNano: 1_000_000_000_000_000_000n },
        { name: 'GET /cart', kind: 'server' },
        { name: 'GET /cart', kind: 'server' },
      ],
    })
    const answer = await call(TRACES, payload.protobuf)
    expect(answer.code).toBe(GrpcStatus.OK)
    const partial = decodePartialSuccess(answer.response!)
    expect(partial?.rejectedSpans).toBe(1)
    expect(partial?.errorMessage).toMatch(/retention/)
    expect(await storedSpans('grpc-partial')).toBe(2)
  })

  it('takes gzip and deflate messages from grpc-js', async () => {
    for (const [algorithm, release] of [
      [2, 'grpc-gzip'],
      [1, 'grpc-deflate'],
    ] as const) {
      const compressing = new Client(hostOf(app.otlpGrpcUrl!), credentials.createInsecure(), {
        'grpc.default_compression_algorithm': algorithm,
      })
      try {
        const answer = await call(TRACES, spans(release, 50).protobuf, authorized(), compressing)
        expect(answer.code, release).toBe(GrpcStatus.OK)
        expect(await storedSpans(release)).toBe(50)
      } finally {
        compressing.close()
      }
    }
  })

  it('takes zstd and snappy messages, as the Collector sends them', async () => {
    const zstd = await rawCall(TRACES, zstdCompressSync(spans('grpc-zstd').protobuf), 'zstd')
    expect(zstd.status).toBe(GrpcStatus.OK)
    const snappy = await rawCall(TRACES, snappyCompress(spans('grpc-snappy').protobuf), 'snappy')
    expect(snappy.status).toBe(GrpcStatus.OK)
    expect(await storedSpans('grpc-zstd')).toBe(3)
    expect(await storedSpans('grpc-snappy')).toBe(3)
  })

  it('refuses a zstd bomb as RESOURCE_EXHAUSTED without inflating it', async () => {
    const bomb = zstdCompressSync(new Uint8Array(64 * 1024 * 1024))
    const answer = await rawCall(TRACES, bomb, 'zstd')
    expect(answer.status).toBe(GrpcStatus.RESOURCE_EXHAUSTED)
    expect(answer.message).toMatch(/otlp.grpc.maxMessageBytes/)
  })

  const bad: readonly {
    readonly name: string
    readonly path: string
    readonly message: () => Uint8Array
    readonly code: GrpcStatus
    readonly metadata?: () => Metadata
  }[] = [
    {
      name: 'garbage bytes',
      path: TRACES,
      message: () => Buffer.from('this is not protobuf at all, not even close'),
      code: GrpcStatus.INVALID_ARGUMENT,
    },
    {
      name: 'a truncated message',
      path: TRACES,
      message: () => spans('never').protobuf.subarray(0, 40),
      code: GrpcStatus.INVALID_ARGUMENT,
    },
    {
      name: 'truncated logs',
      path: LOGS,
      message: () =>
        buildLogsPayload({
          service: 's',
          release: 'never',
          logs: [{ body: 'x' }],
        }).protobuf.subarray(0, 20),
      code: GrpcStatus.INVALID_ARGUMENT,
    },
    {
      name: 'a message over otlp.grpc.maxMessageBytes',
      path: TRACES,
      message: () => new Uint8Array(MAX_MESSAGE_BYTES + 1),
      code: GrpcStatus.RESOURCE_EXHAUSTED,
    },
    {
      name: 'the profiles service, not served',
      path: '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export',
      message: () => new Uint8Array(),
      code: GrpcStatus.UNIMPLEMENTED,
    },
    {
      name: 'a method that does not exist',
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Delete',
      message: () => new Uint8Array(),
      code: GrpcStatus.UNIMPLEMENTED,
    },
    {
      name: 'no token',
      path: TRACES,
      message: () => spans('never').protobuf,
      code: GrpcStatus.UNAUTHENTICATED,
      metadata: () => new Metadata(),
    },
    {
      name: 'a wrong token',
      path: TRACES,
      message: () => spans('never').protobuf,
      code: GrpcStatus.UNAUTHENTICATED,
      metadata: () => {
        const metadata = new Metadata()
        metadata.set('authorization', 'Bearer not-the-token-at-all-000000')
        return metadata
      },
    },
  ]

  for (const input of bad) {
    it(`answers ${GrpcStatus[input.code]} for ${input.name}`, async () => {
      const answer = await call(input.path, input.message(), input.metadata?.() ?? authorized())
      expect(answer.code).toBe(input.code)
      expect(answer.details.length).toBeGreaterThan(0)
    })
  }

  it('keeps serving, and keeps everything stored earlier, after all the bad input', async () => {
    expect((await call(TRACES, spans('grpc-after').protobuf)).code).toBe(GrpcStatus.OK)
    expect(await storedSpans('grpc-after')).toBe(3)
    expect(await storedSpans('grpc-1')).toBe(3)
    expect(await storedSpans('never')).toBe(0)
  })

  it('tells a gRPC client that reached the OTLP/HTTP port where gRPC is served', async () => {
    const wrongPort = new Client(hostOf(app.otlpHttpUrl!), credentials.createInsecure())
    try {
      const answer = await call(TRACES, spans('never').protobuf, authorized(), wrongPort)
      expect(answer.code).toBe(GrpcStatus.UNIMPLEMENTED)
      expect(answer.details).toContain(`send OTLP/gRPC to port ${new URL(app.otlpGrpcUrl!).port}`)
    } finally {
      wrongPort.close()
    }
    // ...and HTTP/1 clients on that port are served as before.
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      body: spans('http-after-grpc').protobuf,
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
    })
    expect(response.status).toBe(200)
  })
})

describe('OTLP/gRPC receiver under load', () => {
  let loaded: RunningApp
  beforeAll(async () => {
    // A long flush keeps one request's rows queued: the queue is full for the next one.
    loaded = await startTestApp({ 'writer.maxQueuedRows': 150, 'writer.flushIntervalMs': 3_000 })
  })
  afterAll(() => loaded?.stop())

  it('refuses one of two concurrent calls that overfill the writer with RESOURCE_EXHAUSTED and RetryInfo, and stores the other', async () => {
    const loadedClient = new Client(hostOf(loaded.otlpGrpcUrl!), credentials.createInsecure())
    try {
      const hundred = (release: string) => spans(release, 100).protobuf
      const answers = await Promise.all([
        call(TRACES, hundred('load-a'), new Metadata(), loadedClient),
        call(TRACES, hundred('load-b'), new Metadata(), loadedClient),
      ])
      const codes = answers.map((answer) => answer.code).sort()
      expect(codes).toEqual([GrpcStatus.OK, GrpcStatus.RESOURCE_EXHAUSTED])
      const refused = answers.find((answer) => answer.code !== GrpcStatus.OK)!
      expect(retryDelaySeconds(refused.trailers)).toBeGreaterThan(0)
      const [row] = await queryRows<{ n: string }>(
        loaded.store,
        `SELECT count() AS n FROM ${loaded.store.database}.spans WHERE release IN ('load-a', 'load-b')`,
      )
      expect(row?.n).toBe('100')
    } finally {
      loadedClient.close()
    }
  })
})

describe('OTLP/gRPC receiver under load, for logs', () => {
  let loaded: RunningApp
  beforeAll(async () => {
    loaded = await startTestApp({ 'writer.maxQueuedRows': 150, 'writer.flushIntervalMs': 3_000 })
  })
  afterAll(() => loaded?.stop())

  it('refuses one of two concurrent log calls that overfill the logs writer, with RetryInfo', async () => {
    const loadedClient = new Client(hostOf(loaded.otlpGrpcUrl!), credentials.createInsecure())
    try {
      const hundred = (release: string) =>
        buildLogsPayload({
          service: 'load',
          release,
          logs: Array.from({ length: 100 }, (_, index) => ({ body: `line ${index}` })),
        }).protobuf
      const answers = await Promise.all([
        call(LOGS, hundred('logs-a'), new Metadata(), loadedClient),
        call(LOGS, hundred('logs-b'), new Metadata(), loadedClient),
      ])
      expect(answers.map((answer) => answer.code).sort()).toEqual([
        GrpcStatus.OK,
        GrpcStatus.RESOURCE_EXHAUSTED,
      ])
      const refused = answers.find((answer) => answer.code !== GrpcStatus.OK)!
      expect(retryDelaySeconds(refused.trailers)).toBeGreaterThan(0)
    } finally {
      loadedClient.close()
    }
  })
})

describe('OTLP/gRPC receiver at shutdown', () => {
  it('lets a call in flight finish, its spans stored, before the process stops', async () => {
    const draining = await startTestApp({ 'writer.flushIntervalMs': 2_000 })
    const database = draining.store.database
    const drainingClient = new Client(hostOf(draining.otlpGrpcUrl!), credentials.createInsecure())
    const inFlight = call(TRACES, spans('drained', 40).protobuf, new Metadata(), drainingClient)
    // The call is in flight once its rows wait in the writer's queue.
    await waitFor(
      async () => {
        const text = await (await fetch(`${draining.apiUrl}/metrics`)).text()
        const queued = /^rh_writer_queue_rows\S* (\d+)/m.exec(text)
        return Number(queued?.[1] ?? 0) > 0 ? true : undefined
      },
      { timeoutMs: 20_000, what: 'the call to be queued' },
    )
    const stopped = draining.stop()
    expect((await inFlight).code).toBe(GrpcStatus.OK)
    await stopped
    drainingClient.close()
    const reopened = createTestStore({ database })
    try {
      const [row] = await queryRows<{ n: string }>(
        reopened,
        `SELECT count() AS n FROM ${database}.spans WHERE release = 'drained'`,
      )
      expect(row?.n).toBe('40')
    } finally {
      await reopened.close()
    }
  })
})

describe('OTLP/gRPC receiver with TLS', () => {
  let secured: RunningApp
  let cert: Buffer
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rh-grpc-tls-'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    cert = readFileSync(join(dir, 'cert.pem'))
    secured = await startTestApp({
      'otlp.grpc.tlsCertFile': join(dir, 'cert.pem'),
      'otlp.grpc.tlsKeyFile': join(dir, 'key.pem'),
    })
  })
  afterAll(() => secured?.stop())

  it('serves gRPC over TLS when a certificate and key are configured, and only over TLS', async () => {
    expect(secured.otlpGrpcUrl).toMatch(/^https:\/\//)
    const tls = new Client(hostOf(secured.otlpGrpcUrl!), credentials.createSsl(cert))
    const plain = new Client(hostOf(secured.otlpGrpcUrl!), credentials.createInsecure())
    try {
      const answer = await call(TRACES, spans('tls-1').protobuf, new Metadata(), tls)
      expect(answer.code).toBe(GrpcStatus.OK)
      const [row] = await queryRows<{ n: string }>(
        secured.store,
        `SELECT count() AS n FROM ${secured.store.database}.spans WHERE release = 'tls-1'`,
      )
      expect(row?.n).toBe('3')
      const refused = await call(TRACES, spans('tls-plain').protobuf, new Metadata(), plain)
      expect(refused.code).toBe(GrpcStatus.UNAVAILABLE)
    } finally {
      tls.close()
      plain.close()
    }
  })
})
