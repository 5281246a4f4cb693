import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { closeConnectionsOnShutdown } from '../../http/close-connections-on-shutdown.ts'
import { requireScopes, type TokenEntry } from '../../api/auth.ts'
import { isRhError, RhError, toMessage } from '../../errors.ts'
import { noopInstruments } from '../../telemetry/instruments.ts'
import { silentLogger, type Logger } from '../../logger.ts'
import { createAdmission, type Admission, type Ticket } from '../admission.ts'
import { createOtlpIngest, type ExportOutcome, type OtlpIngestOptions } from './otlp-ingest.ts'
import {
  encodeExportResponse,
  encodeStatus,
  OTLP_CONTENT_TYPES,
  toGrpcCode,
  type OtlpEncoding,
} from './encode-response.ts'
import { decodeContentEncoding } from './read-body.ts'

export interface OtlpHttpReceiverOptions extends OtlpIngestOptions {
  /** Largest body accepted, compressed or inflated. */
  readonly maxBodyBytes: number
  /** Bearer tokens; empty = authentication off. Requests need the `ingest` scope. */
  readonly tokens?: readonly TokenEntry[]
  /** The process's ingest budget, shared with the other doors; default: one of its own. */
  readonly admission?: Admission
}

/** Default in-flight budget of a receiver given none: four bodies of the largest size. */
const DEFAULT_BUDGET_BODIES = 4
const DEFAULT_CONCURRENT_DECODES = 2
const DEFAULT_TARGET_LATENCY_MS = 3_000
/** Where metrics are posted (OTLP/HTTP default path). */
const METRICS_PATH = '/v1/metrics'
/** A refused body larger than this is not read: the connection is closed instead. */
const UNREAD_BODY_CLOSE_BYTES = 1_048_576

/**
 * The OTLP/HTTP receiver (spec: opentelemetry-proto docs/specification.md, "OTLP/HTTP"):
 * `POST /v1/traces` and (given a metrics writer) `POST /v1/metrics` in protobuf or JSON,
 * optionally gzipped, answered in the request's own content type (failures too: a
 * `google.rpc.Status` in protobuf or JSON). A 200 is sent only once the spans or data points
 * are written to ClickHouse.
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
  requireScopes(app, options.tokens ?? [], 'ingest')
  app.addHook('onRequest', async (request, reply) => {
    const declared = Number(request.headers['content-length'] ?? Number.NaN)
    if (declared > options.maxBodyBytes) {
      throw new RhError(
        'RH_INGEST_TOO_LARGE',
        `the body of ${declared} bytes is over the limit of ${options.maxBodyBytes} (otlp.http.maxBodyBytes); send smaller batches`,
      )
    }
    const writer = request.url.startsWith(METRICS_PATH)
      ? (options.metricsWriter ?? options.writer)
      : options.writer
    if (writer.isSaturated(0)) {
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
          `no OTLP endpoint at ${request.method} ${request.url}; traces go to POST /v1/traces${options.metricsWriter === undefined ? '' : ', metrics to POST /v1/metrics'}`,
        ),
        { statusCode: 404 },
      ),
      logger,
    ),
  )

  const exportRoute =
    (signal: 'traces' | 'metrics') =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const encoding = toEncoding(request)
      const endTurn = await admission.decodeTurn()
      let outcome: ExportOutcome
      try {
        const body = await decodeContentEncoding(
          request.body as Buffer,
          request.headers['content-encoding'],
          options.maxBodyBytes,
        )
        outcome =
          signal === 'metrics'
            ? await ingest.exportMetrics(body, encoding, endTurn)
            : await ingest.exportTraces(body, encoding, endTurn)
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
        .send(toBody(encodeExportResponse(encoding, partial, signal)))
    }
  app.post('/v1/traces', exportRoute('traces'))
  if (options.metricsWriter !== undefined) app.post(METRICS_PATH, exportRoute('metrics'))

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
