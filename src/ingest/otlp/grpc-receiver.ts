import { readFileSync } from 'node:fs'
import {
  Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerInterceptor,
  type ServerUnaryCall,
} from '@grpc/grpc-js'
import { authorize, type TokenEntry } from '../../api/auth.ts'
import { isRhError, RhError, toMessage } from '../../errors.ts'
import { silentLogger } from '../../logger.ts'
import { noopInstruments } from '../../telemetry/instruments.ts'
import type { Admission } from '../admission.ts'
import { OVER_BUDGET_RETRY_AFTER_SECONDS } from '../admission.ts'
import { encodeExportResponse } from './encode-response.ts'
import { takeOverDecompression, OWN_ENCODING_KEY } from './grpc-compression.ts'
import { OTLP_GRPC_METHODS, toMethodPath, type GrpcExportMethod } from './grpc-methods.ts'
import { STATUS_DETAILS_KEY, toGrpcFailure } from './grpc-status.ts'
import { createOtlpIngest, type OtlpIngestOptions } from './otlp-ingest.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import { toBodyCompression } from './content-encoding.ts'

export interface OtlpGrpcReceiverOptions extends OtlpIngestOptions {
  /** Largest message accepted, compressed or decompressed (`otlp.grpc.maxMessageBytes`). */
  readonly maxMessageBytes: number
  /** Bearer tokens (`authorization` metadata); empty = authentication off. Needs `ingest`. */
  readonly tokens?: readonly TokenEntry[]
  /** The process's ingest budget, shared with the OTLP/HTTP receiver. */
  readonly admission: Admission
  /** PEM certificate chain and key files: TLS when both are set. */
  readonly tlsCertFile?: string
  readonly tlsKeyFile?: string
  /** The services served; default `OTLP_GRPC_METHODS`. */
  readonly methods?: readonly GrpcExportMethod[]
}

export interface OtlpGrpcReceiver {
  /** Binds and serves; resolves with the URL, e.g. http://127.0.0.1:4317. */
  listen(address: { host: string; port: number }): Promise<string>
  /**
   * Graceful drain: no new calls; calls in flight finish (their rows written) within
   * `graceMs`, then whatever is left is cancelled.
   */
  close(graceMs?: number): Promise<void>
}

const DEFAULT_GRACE_MS = 30_000
const AUTHORIZATION = 'authorization'

/**
 * The OTLP/gRPC receiver (opentelemetry-proto `docs/specification.md`, "OTLP/gRPC"): the
 * `Export` method of each service in `methods`, unary, on `@grpc/grpc-js` with identity
 * (de)serializers, so that the request bytes reach the same decoders as OTLP/HTTP's and the
 * answer is encoded by `encodeExportResponse`. OK is sent only once the items are stored.
 *
 * Before the message is read (at its metadata) a call must carry an `ingest` token when
 * tokens are set, and is refused with RESOURCE_EXHAUSTED and RetryInfo while the writer is
 * saturated or the shared ingest budget is spent; once read, its size is admitted against
 * that budget like an HTTP body. Messages may be compressed with gzip or deflate (grpc-js)
 * or zstd or snappy (`grpc-compression.ts`), never inflating past `maxMessageBytes`.
 */
export function createOtlpGrpcReceiver(options: OtlpGrpcReceiverOptions): OtlpGrpcReceiver {
  const logger = options.logger ?? silentLogger
  const instruments = options.instruments ?? noopInstruments
  const tokens = options.tokens ?? []
  const { admission } = options
  const ingest = createOtlpIngest(options)
  const credentials = toCredentials(options)
  const methods = options.methods ?? OTLP_GRPC_METHODS
  const refuseEarly: ServerInterceptor = (descriptor, call) =>
    takeOverDecompression(call, (metadata) => {
      const method = methods.find((candidate) => toMethodPath(candidate) === descriptor.path)
      const refusal = refusalAtMetadata(metadata, method?.writer(options))
      if (refusal === undefined) return undefined
      instruments.otlpRequest(refusal.status)
      logger.info({ code: refusal.code, reason: refusal.message }, 'otlp grpc call refused')
      return toStatus(refusal)
    })
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    interceptors: [refuseEarly],
  })
  let port = 0

  const refusalAtMetadata = (
    metadata: Metadata,
    writer: Pick<BatchWriter<never>, 'isSaturated' | 'queuedRows'> | undefined,
  ): RhError | undefined => {
    if (tokens.length > 0) {
      const header = metadata.get(AUTHORIZATION)[0]
      const failure = authorize(tokens, typeof header === 'string' ? header : undefined, 'ingest')
      if (failure !== undefined) return failure
    }
    if (writer?.isSaturated(0) === true) {
      return new RhError(
        'RH_INGEST_SATURATED',
        `the store writer is saturated (${writer.queuedRows} rows queued); retry later`,
        { retryAfterSeconds: 1 },
      )
    }
    if (admission.inFlightBytes > 0 && admission.inFlightBytes >= admission.budgetBytes) {
      return new RhError(
        'RH_INGEST_SATURATED',
        'the receiver is busy with requests up to its ingest budget (otlp.maxInFlightBytes); retry later',
        { retryAfterSeconds: OVER_BUDGET_RETRY_AFTER_SECONDS },
      )
    }
    return undefined
  }

  for (const method of methods) {
    const exportBody = method.export(ingest)
    const handle = async (call: ServerUnaryCall<Buffer, Uint8Array>): Promise<Uint8Array> => {
      const ticket = admission.admit(call.request.length)
      if (isRhError(ticket)) throw ticket
      try {
        const endTurn = await admission.decodeTurn()
        try {
          const ownEncoding = call.metadata.get(OWN_ENCODING_KEY)[0]
          // Decompressed where it is decoded, off this thread (content-encoding.ts).
          const compression =
            typeof ownEncoding === 'string'
              ? toBodyCompression(ownEncoding, options.maxMessageBytes, 'otlp.grpc.maxMessageBytes')
              : undefined
          const outcome = await exportBody(call.request, 'protobuf', endTurn, compression)
          const partial =
            outcome.rejected > 0
              ? { rejected: outcome.rejected, errorMessage: outcome.rejectionMessage ?? '' }
              : undefined
          return encodeExportResponse('protobuf', partial, method.signal) as Uint8Array
        } finally {
          endTurn()
        }
      } finally {
        ticket.release()
      }
    }
    server.register(
      toMethodPath(method),
      (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
        handle(call).then(
          (response) => {
            instruments.otlpRequest(200)
            callback(null, response)
          },
          (error: unknown) => {
            const known = isRhError(error) ? error : undefined
            if (known === undefined) {
              logger.error({ err: toMessage(error) }, 'otlp grpc call failed unexpectedly')
            } else {
              logger.info({ code: known.code, reason: known.message }, 'otlp grpc call refused')
            }
            instruments.otlpRequest(known?.status ?? 500)
            callback(toStatus(known ?? new RhError('RH_INTERNAL', 'internal error')))
          },
        )
      },
      (response: Uint8Array) =>
        Buffer.from(response.buffer, response.byteOffset, response.byteLength),
      (request: Buffer) => request,
      'unary',
    )
  }

  return {
    listen({ host, port: wanted }) {
      const address = host.includes(':') ? `[${host}]:${wanted}` : `${host}:${wanted}`
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentials, (error, bound) => {
          if (error !== null) {
            reject(
              new RhError(
                'RH_CONFIG_INVALID',
                `the OTLP/gRPC receiver cannot listen on ${address} (otlp.grpc.host, otlp.grpc.port): ${error.message}`,
              ),
            )
            return
          }
          port = bound
          const scheme = options.tlsCertFile ? 'https' : 'http'
          resolve(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}`)
        })
      })
    },
    close(graceMs = DEFAULT_GRACE_MS) {
      return new Promise<void>((resolve) => {
        if (port === 0) {
          server.forceShutdown()
          resolve()
          return
        }
        const timer = setTimeout(() => server.forceShutdown(), graceMs)
        timer.unref()
        server.tryShutdown(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
  }
}

/** A grpc-js status for a refusal, with RetryInfo in the trailers when it may be retried. */
function toStatus(error: RhError): { code: number; details: string; metadata: Metadata } {
  const failure = toGrpcFailure(error)
  const metadata = new Metadata()
  if (failure.details !== undefined) metadata.set(STATUS_DETAILS_KEY, Buffer.from(failure.details))
  return { code: failure.code, details: failure.message, metadata }
}

function toCredentials(options: OtlpGrpcReceiverOptions): ServerCredentials {
  const certFile = options.tlsCertFile ?? ''
  const keyFile = options.tlsKeyFile ?? ''
  if (certFile === '' && keyFile === '') return ServerCredentials.createInsecure()
  if (certFile === '' || keyFile === '') {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'OTLP/gRPC TLS needs both otlp.grpc.tlsCertFile and otlp.grpc.tlsKeyFile',
    )
  }
  const read = (file: string, key: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (error) {
      throw new RhError('RH_CONFIG_INVALID', `cannot read ${key} ${file}: ${toMessage(error)}`)
    }
  }
  return ServerCredentials.createSsl(
    null,
    [
      {
        cert_chain: read(certFile, 'otlp.grpc.tlsCertFile'),
        private_key: read(keyFile, 'otlp.grpc.tlsKeyFile'),
      },
    ],
    false,
  )
}
