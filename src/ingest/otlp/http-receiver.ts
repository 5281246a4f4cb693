import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { closeConnectionsOnShutdown } from '../../http/close-connections-on-shutdown.ts'
import { requireScopes, type TokenEntry } from '../../api/auth.ts'
import { isRhError, RhError, toMessage } from '../../errors.ts'
import { noopInstruments } from '../../telemetry/instruments.ts'
import { silentLogger, type Logger } from '../../logger.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import { createAdmission, type Admission, type Ticket } from '../admission.ts'
import {
  createOtlpIngest,
  type ExportOutcome,
  type OtlpIngest,
  type OtlpIngestOptions,
} from './otlp-ingest.ts'
import {
  encodeExportResponse,
  encodeStatus,
  OTLP_CONTENT_TYPES,
  toGrpcCode,
  type OtlpEncoding,
  type OtlpSignal,
} from './encode-response.ts'
import { answerGrpcOnHttpPort } from './grpc-on-http-port.ts'
import { toBodyCompression } from './content-encoding.ts'

export interface OtlpHttpReceiverOptions extends OtlpIngestOptions {
  /** Largest body accepted, compressed or inflated. */
  readonly maxBodyBytes: number
  /** Bearer tokens; empty = authentication off. Requests need the `ingest` scope. */
  readonly tokens?: readonly TokenEntry[]
  /** The process's ingest budget, shared with the other doors; default: one of its own. */
  readonly admission?: Admission
  /**
   * What a gRPC client that reached this port is told (with UNIMPLEMENTED), e.g. where
   * OTLP/gRPC is served. Undefined: a generic sentence.
   */
  readonly grpcClientMessage?: string
}

/** One OTLP/HTTP path: the signal it takes and the ingest method it hands bodies to. */
interface HttpExportRoute {
  readonly path: string
  readonly signal: OtlpSignal
  readonly export: (ingest: OtlpIngest) => OtlpIngest['exportTraces']
  /** The writer its rows go to: a request is refused before its body while it is full. */
  readonly writer: (
    options: OtlpIngestOptions,
  ) => Pick<BatchWriter<never>, 'isSaturated' | 'queuedRows'> | undefined
}

/**
 * The paths served, one entry per signal (opentelemetry-proto `docs/specification.md`,
 * "OTLP/HTTP Request").
 */
export const OTLP_HTTP_ROUTES: readonly HttpExportRoute[] = [
  {
    path: '/v1/traces',
    signal: 'traces',
    export: (ingest) => ingest.exportTraces.bind(ingest),
    writer: (options) => options.writer,
  },
  {
    path: '/v1/logs',
    signal: 'logs',
    export: (ingest) => ingest.exportLogs.bind(ingest),
    writer: (options) => options.logsWriter,
  },
  {
    path: '/v1/metrics',
    signal: 'metrics',
    export: (ingest) => ingest.exportMetrics.bind(ingest),
    writer: (options) => options.metricsWriter,
  },
]

const ROUTE_BY_PATH = new Map(OTLP_HTTP_ROUTES.map((route) => [route.path, route]))

const SERVED_PATHS = OTLP_HTTP_ROUTES.map((route) => `POST ${route.path}`).join(', ')
const DEFAULT_GRPC_CLIENT_MESSAGE =
  'this is an OTLP/HTTP port (POST /v1/traces, /v1/logs, /v1/metrics); send OTLP/gRPC to the OTLP/gRPC port (4317 by default)'

/** Default in-flight budget of a receiver given none: four bodies of the largest size. */
const DEFAULT_BUDGET_BODIES = 4
const DEFAULT_CONCURRENT_DECODES = 2
const DEFAULT_TARGET_LATENCY_MS = 3_000
/** A refused body larger than this is not read: the connection is closed instead. */
const UNREAD_BODY_CLOSE_BYTES = 1_048_576

/**
 * The OTLP/HTTP receiver (spec: opentelemetry-proto docs/specification.md, "OTLP/HTTP"):
 * `POST /v1/traces`, `/v1/logs` and `/v1/metrics` in protobuf or JSON, uncompressed or in any
 * compression of `content-encoding.ts`, answered in the request's own content type (failures
 * too: a `google.rpc.Status` in protobuf or JSON). A 200 is sent only once the items are
 * written to ClickHouse. A gRPC client that reaches this port gets a gRPC status saying so.
 *
 * Before a body is read the request must pass authentication and admission: a Content-Length
 * over the limit is refused with 413, and a body that does not fit the in-flight byte budget
 * with 429 and `Retry-After`, both at once.
 */
export function createOtlpHttpReceiver(options: OtlpHttpReceiverOptions): FastifyInstance {
  const logger = options.logger ?? silentLogger
  const instruments = options.instruments ?? noopInstruments
  const ingest = createOtlpIngest(options)
  const admission =
    options.admission ??
    createAdmission({
      maxInFlightBytes: DEFAULT_BUDGET_BODIES * options.maxBodyBytes,
      minInFlightBytes: options.maxBodyBytes,
      maxConcurrentDecodes: DEFAULT_CONCURRENT_DECODES,
      targetLatencyMs: DEFAULT_TARGET_LATENCY_MS,
    })
  const tickets = new WeakMap<FastifyRequest, Ticket>()
  const app = Fastify({ bodyLimit: options.maxBodyBytes, logger: false })

  closeConnectionsOnShutdown(app)
  const grpcAnswer = answerGrpcOnHttpPort(
    app.server,
    options.grpcClientMessage ?? DEFAULT_GRPC_CLIENT_MESSAGE,
  )
  app.addHook('preClose', (done) => {
    grpcAnswer.close()
    done()
  })
  requireScopes(app, options.tokens ?? [], 'ingest')
  app.addHook('onRequest', async (request, reply) => {
    const declared = Number(request.headers['content-length'] ?? Number.NaN)
    if (declared > options.maxBodyBytes) {
      throw new RhError(
        'RH_INGEST_TOO_LARGE',
        `the body of ${declared} bytes is over the limit of ${options.maxBodyBytes} (otlp.http.maxBodyBytes); send smaller batches`,
      )
    }
    // The writer of the request's own signal: a full metrics queue must not refuse spans.
    const writer = ROUTE_BY_PATH.get(request.url.split('?')[0] ?? '')?.writer(options)
    if (writer?.isSaturated(0) === true) {
      throw new RhError(
        'RH_INGEST_SATURATED',
        `the store writer is saturated (${writer.queuedRows} rows queued); retry later`,
        { retryAfterSeconds: 1 },
      )
    }
    // A body of undeclared length (chunked) may be as large as the limit.
    const admitted = admission.admit(Number.isFinite(declared) ? declared : options.maxBodyBytes)
    if (isRhError(admitted)) throw admitted
    tickets.set(request, admitted)
    reply.raw.once('close', () => admitted.release())
  })
  app.addHook('onResponse', (_request, reply, done) => {
    instruments.otlpRequest(reply.statusCode)
    done()
  })
  app.removeAllContentTypeParsers()
  for (const contentType of Object.values(OTLP_CONTENT_TYPES)) {
    app.addContentTypeParser(contentType, { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body)
    })
  }

  app.setErrorHandler((error, request, reply) => sendFailure(request, reply, error, logger))
  app.setNotFoundHandler((request, reply) =>
    sendFailure(
      request,
      reply,
      Object.assign(
        new Error(
          `no OTLP endpoint at ${request.method} ${request.url.slice(0, 200)}; this receiver serves ${SERVED_PATHS}`,
        ),
        { statusCode: 404 },
      ),
      logger,
    ),
  )

  for (const route of OTLP_HTTP_ROUTES) {
    const exportBody = route.export(ingest)
    app.post(route.path, async (request, reply) => {
      const encoding = toEncoding(request)
      const endTurn = await admission.decodeTurn()
      let outcome: ExportOutcome
      try {
        // Decompressed where it is decoded, off this thread (content-encoding.ts).
        const compression = toBodyCompression(
          request.headers['content-encoding'],
          options.maxBodyBytes,
        )
        outcome = await exportBody(request.body as Buffer, encoding, endTurn, compression)
      } finally {
        endTurn()
      }
      const partial =
        outcome.rejected > 0
          ? { rejected: outcome.rejected, errorMessage: outcome.rejectionMessage ?? '' }
          : undefined
      return reply
        .code(200)
        .type(OTLP_CONTENT_TYPES[encoding])
        .send(toBody(encodeExportResponse(encoding, partial, route.signal)))
    })
  }

  return app
}

/** The request's own encoding; anything but protobuf is answered in JSON. */
function toEncoding(request: FastifyRequest): OtlpEncoding {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  return contentType === OTLP_CONTENT_TYPES.protobuf ? 'protobuf' : 'json'
}

/** Fastify's own failures (body too large, unknown content type) in the catalogue's terms. */
function toRhError(error: unknown): RhError | undefined {
  if (isRhError(error)) return error
  const code = (error as { code?: string }).code
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new RhError(
      'RH_INGEST_TOO_LARGE',
      `${toMessage(error)}; the limit is otlp.http.maxBodyBytes, send smaller batches`,
    )
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return new RhError(
      'RH_INGEST_UNSUPPORTED_MEDIA_TYPE',
      'OTLP/HTTP accepts Content-Type application/x-protobuf or application/json',
    )
  }
  if (code === 'FST_ERR_CTP_EMPTY_TYPE' || code === 'FST_ERR_CTP_INVALID_TYPE') {
    return new RhError(
      'RH_INGEST_UNSUPPORTED_MEDIA_TYPE',
      'a Content-Type header is required: application/x-protobuf or application/json',
    )
  }
  return undefined
}

function sendFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  logger: Logger,
): FastifyReply {
  const known = toRhError(error)
  const status = known?.status ?? (error as { statusCode?: number }).statusCode ?? 500
  const message = known?.message ?? (status >= 500 ? 'internal error' : toMessage(error))
  if (known === undefined && status >= 500) {
    logger.error({ err: toMessage(error), url: request.url }, 'otlp request failed unexpectedly')
  } else {
    logger.info({ status, code: known?.code, reason: message }, 'otlp request refused')
  }
  const encoding = toEncoding(request)
  if (known?.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(known.retryAfterSeconds))
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="release-health"')
  // Refused before its body was read: reading it only to throw it away would cost what the
  // refusal saves, so the connection is closed after the answer and the client reconnects.
  if (
    request.body === undefined &&
    Number(request.headers['content-length'] ?? 0) > UNREAD_BODY_CLOSE_BYTES
  ) {
    reply.header('connection', 'close')
  }
  return reply
    .code(status)
    .type(OTLP_CONTENT_TYPES[encoding])
    .send(toBody(encodeStatus(encoding, toGrpcCode(status), message)))
}

function toBody(encoded: Uint8Array | string): Buffer | string {
  return typeof encoded === 'string'
    ? encoded
    : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}
