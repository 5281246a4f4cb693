import protobuf from 'protobufjs/minimal.js'

/** How an OTLP/HTTP answer is encoded: always the request's own content type. */
export type OtlpEncoding = 'protobuf' | 'json'

export const OTLP_CONTENT_TYPES = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
} as const

/** gRPC status codes used in google.rpc.Status bodies (OTLP spec: "Failures"). */
export const GRPC_CODES = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  INTERNAL: 13,
} as const

export interface PartialSuccess {
  readonly rejectedSpans: number
  readonly errorMessage: string
}

/**
 * ExportTraceServiceResponse: field 1 `partial_success` (ExportTracePartialSuccess: field 1
 * `rejected_spans` int64, field 2 `error_message` string). Empty when everything was accepted,
 * as the spec asks.
 */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  partialSuccess: PartialSuccess | undefined,
): Uint8Array | string {
  if (encoding === 'json') {
    return partialSuccess === undefined
      ? '{}'
      : JSON.stringify({
          partialSuccess: {
            rejectedSpans: String(partialSuccess.rejectedSpans),
            errorMessage: partialSuccess.errorMessage,
          },
        })
  }
  const writer = protobuf.Writer.create()
  if (partialSuccess !== undefined) {
    writer.uint32((1 << 3) | 2).fork()
    writer.uint32((1 << 3) | 0).int64(partialSuccess.rejectedSpans)
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

/** The gRPC code that matches an HTTP status in an OTLP failure body. */
export function toGrpcCode(httpStatus: number): number {
  if (httpStatus === 429) return GRPC_CODES.RESOURCE_EXHAUSTED
  if (httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return GRPC_CODES.UNAVAILABLE
  if (httpStatus >= 500) return GRPC_CODES.INTERNAL
  return GRPC_CODES.INVALID_ARGUMENT
}
