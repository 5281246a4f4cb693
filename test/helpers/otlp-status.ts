import protobuf from 'protobufjs/minimal.js'

/** Reads a google.rpc.Status (code = field 1, message = field 2) from a protobuf body. */
export function decodeStatus(bytes: Uint8Array): { code: number; message: string } {
  const reader = protobuf.Reader.create(bytes)
  let code = 0
  let message = ''
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag >>> 3 === 1) code = reader.int32()
    else if (tag >>> 3 === 2) message = reader.string()
    else reader.skipType(tag & 7)
  }
  return { code, message }
}

/** Reads ExportTraceServiceResponse.partial_success from a protobuf body. */
export function decodePartialSuccess(
  bytes: Uint8Array,
): { rejectedSpans: number; errorMessage: string } | undefined {
  const reader = protobuf.Reader.create(bytes)
  let result: { rejectedSpans: number; errorMessage: string } | undefined
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag >>> 3 !== 1) {
      reader.skipType(tag & 7)
      continue
    }
    const inner = protobuf.Reader.create(reader.bytes())
    result = { rejectedSpans: 0, errorMessage: '' }
    while (inner.pos < inner.len) {
      const innerTag = inner.uint32()
      if (innerTag >>> 3 === 1) result.rejectedSpans = Number(inner.int64())
      else if (innerTag >>> 3 === 2) result.errorMessage = inner.string()
      else inner.skipType(innerTag & 7)
    }
  }
  return result
}
