import protobuf from 'protobufjs/minimal.js'
import type { RhError } from '../../errors.ts'
import { GRPC_CODES, toGrpcCode } from './encode-response.ts'

/** The trailer that carries a `google.rpc.Status` with details (gRPC "richer error model"). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin'
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo'
/** The retry delay of a retriable failure that names none (a store write that failed). */
const DEFAULT_RETRY_SECONDS = 1

/** A gRPC answer: its code, message and, for a retryable refusal, RetryInfo details. */
export interface GrpcFailure {
  readonly code: number
  readonly message: string
  /** `google.rpc.Status` bytes for the `grpc-status-details-bin` trailer, if any. */
  readonly details: Uint8Array | undefined
}

/**
 * The gRPC status of a refused OTLP request (OTLP spec, "OTLP/gRPC Response"): bad data is
 * INVALID_ARGUMENT, never retried; a request too large is RESOURCE_EXHAUSTED *without*
 * RetryInfo (not retried either); a saturated receiver answers RESOURCE_EXHAUSTED, and one
 * shutting down or whose store failed UNAVAILABLE, both with RetryInfo saying when to retry,
 * which is what makes exporters retry RESOURCE_EXHAUSTED at all; a missing token is
 * UNAUTHENTICATED; a signal not served UNIMPLEMENTED.
 */
export function toGrpcFailure(error: RhError): GrpcFailure {
  const code =
    error.code === 'RH_INGEST_TOO_LARGE'
      ? GRPC_CODES.RESOURCE_EXHAUSTED
      : error.code === 'RH_INGEST_NOT_SERVED' || error.code === 'RH_INGEST_UNSUPPORTED_MEDIA_TYPE'
        ? GRPC_CODES.UNIMPLEMENTED
        : toGrpcCode(error.status)
  const details = error.retriable
    ? encodeRetryStatus(code, error.message, error.retryAfterSeconds ?? DEFAULT_RETRY_SECONDS)
    : undefined
  return { code, message: error.message, details }
}

/**
 * google.rpc.Status { code = 1; message = 2; details = 3 (Any) } holding one
 * google.rpc.RetryInfo { retry_delay = 1 (google.protobuf.Duration { seconds = 1; nanos = 2 }) }.
 */
export function encodeRetryStatus(code: number, message: string, retryAfterSeconds: number) {
  const seconds = Math.floor(retryAfterSeconds)
  const nanos = Math.round((retryAfterSeconds - seconds) * 1e9)
  const duration = protobuf.Writer.create()
  duration.uint32((1 << 3) | 0).int64(seconds)
  if (nanos > 0) duration.uint32((2 << 3) | 0).int32(nanos)
  const retryInfo = protobuf.Writer.create()
  retryInfo.uint32((1 << 3) | 2).bytes(duration.finish())
  const any = protobuf.Writer.create()
  any.uint32((1 << 3) | 2).string(RETRY_INFO_TYPE)
  any.uint32((2 << 3) | 2).bytes(retryInfo.finish())
  const status = protobuf.Writer.create()
  status.uint32((1 << 3) | 0).int32(code)
  status.uint32((2 << 3) | 2).string(message)
  status.uint32((3 << 3) | 2).bytes(any.finish())
  return status.finish()
}

/**
 * A `grpc-message` value: percent-encoded where the gRPC HTTP/2 protocol asks (bytes outside
 * printable ASCII, and '%'), and cut short so that a header stays small.
 */
export function toGrpcMessage(message: string): string {
  const bytes = Buffer.from(message.length > 1_000 ? `${message.slice(0, 1_000)}...` : message)
  let encoded = ''
  for (const byte of bytes) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}
