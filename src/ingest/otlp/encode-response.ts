import protobuf from 'protobufjs/minimal.js'

/** How an OTLP/HTTP answer is encoded: always the request's own content type. */
export type OtlpEncoding = 'protobuf' | 'json'

export const OTLP_CONTENT_TYPES = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
} as const

/** The OTLP signals, each with its own export service and partial-success count. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics'

/**
 * The JSON name of each signal's `Export*PartialSuccess` field 1 (`rejected_spans`,
 * `rejected_log_records`, `rejected_data_points`); field 2 is always `error_message`.
 */
const REJECTED_FIELD: Readonly<Record<OtlpSignal, string>> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
}

/** gRPC status codes used in google.rpc.Status bodies and gRPC answers (OTLP spec: "Failures"). */
export const GRPC_CODES = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

export interface PartialSuccess {
  /** Items of the request refused. */
  readonly rejected: number
  readonly errorMessage: string
}

/**
 * Export<Signal>ServiceResponse: field 1 `partial_success` (field 1 the rejected count, int64;
 * field 2 `error_message`, string). Empty when everything was accepted, as the spec asks.
 */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  partialSuccess: PartialSuccess | undefined,
  signal: OtlpSignal = 'traces',
): Uint8Array | string {
  if (encoding === 'json') {
    return partialSuccess === undefined
      ? '{}'
      : JSON.stringify({
          partialSuccess: {
            [REJECTED_FIELD[signal]]: String(partialSuccess.rejected),
            errorMessage: partialSuccess.errorMessage,
          },
        })
  }
  const writer = protobuf.Writer.create()
  if (partialSuccess !== undefined) {
    writer.uint32((1 << 3) | 2).fork()
    writer.uint32((1 << 3) | 0).int64(partialSuccess.rejected)
    writer.uint32((2 << 3) | 2).string(partialSuccess.errorMessage)
    writer.ldelim()
  }
  return writer.finish()
}

/** google.rpc.Status: field 1 `code` int32, field 2 `message` string. */
export function encodeStatus(
  encoding: OtlpEncoding,
  code: number,
  message: string,
): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message })
  const writer = protobuf.Writer.create()
  writer.uint32((1 << 3) | 0).int32(code)
  writer.uint32((2 << 3) | 2).string(message)
  return writer.finish()
}

/** The gRPC code that matches an HTTP status, in an OTLP/HTTP failure body or a gRPC answer. */
export function toGrpcCode(httpStatus: number): number {
  if (httpStatus === 401) return GRPC_CODES.UNAUTHENTICATED
  if (httpStatus === 403) return GRPC_CODES.PERMISSION_DENIED
  if (httpStatus === 404) return GRPC_CODES.NOT_FOUND
  if (httpStatus === 429) return GRPC_CODES.RESOURCE_EXHAUSTED
  if (httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return GRPC_CODES.UNAVAILABLE
  if (httpStatus >= 500) return GRPC_CODES.INTERNAL
  return GRPC_CODES.INVALID_ARGUMENT
}
