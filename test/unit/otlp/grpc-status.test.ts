import protobuf from 'protobufjs/minimal.js'
import { describe, expect, it } from 'vitest'
import { RhError, type ErrorCode } from '../../../src/errors.ts'
import { GRPC_CODES } from '../../../src/ingest/otlp/encode-response.ts'
import { toGrpcFailure, toGrpcMessage } from '../../../src/ingest/otlp/grpc-status.ts'

/** The RetryInfo delay (seconds, nanos) inside google.rpc.Status bytes. */
function retryDelay(status: Uint8Array): { seconds: number; nanos: number; type: string } {
  const outer = protobuf.Reader.create(status)
  let any: Uint8Array | undefined
  while (outer.pos < outer.len) {
    const tag = outer.uint32()
    if (tag >>> 3 === 3) any = outer.bytes()
    else outer.skipType(tag & 7)
  }
  const anyReader = protobuf.Reader.create(any!)
  let type = ''
  let value: Uint8Array = new Uint8Array()
  while (anyReader.pos < anyReader.len) {
    const tag = anyReader.uint32()
    if (tag >>> 3 === 1) type = anyReader.string()
    else value = anyReader.bytes()
  }
  const retryInfo = protobuf.Reader.create(value)
  retryInfo.uint32()
  const duration = protobuf.Reader.create(retryInfo.bytes())
  let seconds = 0
  let nanos = 0
  while (duration.pos < duration.len) {
    const tag = duration.uint32()
    if (tag >>> 3 === 1) seconds = Number(duration.int64())
    else nanos = duration.int32()
  }
  return { seconds, nanos, type }
}

describe('gRPC status of a refused OTLP call', () => {
  const cases: readonly [ErrorCode, number, boolean, number | undefined][] = [
    ['RH_INGEST_UNDECODABLE', GRPC_CODES.INVALID_ARGUMENT, false, undefined],
    ['RH_INGEST_TOO_LARGE', GRPC_CODES.RESOURCE_EXHAUSTED, false, undefined],
    ['RH_INGEST_SATURATED', GRPC_CODES.RESOURCE_EXHAUSTED, true, 2.5],
    ['RH_INGEST_SHUTTING_DOWN', GRPC_CODES.UNAVAILABLE, true, 5],
    ['RH_STORE_WRITE_FAILED', GRPC_CODES.UNAVAILABLE, true, undefined],
    ['RH_API_UNAUTHORIZED', GRPC_CODES.UNAUTHENTICATED, false, undefined],
    ['RH_INGEST_NOT_SERVED', GRPC_CODES.UNIMPLEMENTED, false, undefined],
    ['RH_INGEST_UNSUPPORTED_MEDIA_TYPE', GRPC_CODES.UNIMPLEMENTED, false, undefined],
  ]
  for (const [code, grpcCode, retried, retryAfterSeconds] of cases) {
    it(`answers ${code} with code ${grpcCode}${retried ? ' and RetryInfo' : ', never retried'}`, () => {
      const error = new RhError(
        code,
        'why',
        retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
      )
      const failure = toGrpcFailure(error)
      expect(failure.code).toBe(grpcCode)
      expect(failure.message).toBe('why')
      if (!retried) {
        expect(failure.details).toBeUndefined()
        return
      }
      const delay = retryDelay(failure.details!)
      expect(delay.type).toBe('type.googleapis.com/google.rpc.RetryInfo')
      const expected = retryAfterSeconds ?? 1
      expect(delay.seconds + delay.nanos / 1e9).toBe(expected)
    })
  }

  it('percent-encodes a grpc-message outside printable ASCII and cuts it short', () => {
    expect(toGrpcMessage('50% off – now')).toBe('50%25 off %E2%80%93 now')
    expect(toGrpcMessage('x'.repeat(5_000)).length).toBe(1_003)
  })
})
