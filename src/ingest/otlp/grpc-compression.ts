import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  type Metadata,
  type ServerInterceptingCallInterface,
  type StatusObject,
} from '@grpc/grpc-js'

/**
 * Metadata key through which the interceptor tells the handler that it must decompress the
 * message itself, and with what. Removed from what clients send, so no client can set it.
 */
export const OWN_ENCODING_KEY = 'x-release-health-grpc-encoding'

/**
 * Message compressions OTLP senders use over gRPC that grpc-js does not decode (it knows
 * identity, gzip and deflate): the OpenTelemetry Collector's `configgrpc` also offers zstd and
 * snappy. For these, grpc-js is told the call is uncompressed, so that the message reaches the
 * handler as sent, and the handler decompresses it (`content-encoding.ts`, with the size
 * limit).
 *
 * grpc-js reads the call's `grpc-encoding` into the base call's `incomingEncoding` before
 * interceptors run; that field is not part of its typed API, so it is only changed when it is
 * there as a string. Were a future grpc-js to move it, these encodings would be answered
 * UNIMPLEMENTED by grpc-js, as before, and a test would say so.
 */
const OWN_ENCODINGS: ReadonlySet<string> = new Set(['zstd', 'snappy'])

type PartialStatus = Pick<StatusObject, 'code' | 'details' | 'metadata'>

/**
 * Wraps `call` so that (1) `refuse` sees the call's metadata before its message is read and
 * may end it with a status, and (2) zstd and snappy messages reach the handler as sent, with
 * `OWN_ENCODING_KEY` naming their compression.
 */
export function takeOverDecompression(
  call: ServerInterceptingCallInterface,
  refuse: (metadata: Metadata) => PartialStatus | undefined,
): ServerInterceptingCall {
  const base = call as unknown as { incomingEncoding?: unknown }
  let own: string | undefined
  if (typeof base.incomingEncoding === 'string' && OWN_ENCODINGS.has(base.incomingEncoding)) {
    own = base.incomingEncoding
    base.incomingEncoding = 'identity'
  }
  const listener = new ServerListenerBuilder()
    .withOnReceiveMetadata((metadata, next) => {
      metadata.remove(OWN_ENCODING_KEY)
      const refusal = refuse(metadata)
      if (refusal !== undefined) {
        call.sendStatus(refusal)
        return
      }
      if (own !== undefined) metadata.set(OWN_ENCODING_KEY, own)
      next(metadata)
    })
    .build()
  const responder = new ResponderBuilder().withStart((next) => next(listener)).build()
  return new ServerInterceptingCall(call, responder)
}
