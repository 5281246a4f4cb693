import { describe, expect, it } from 'vitest'
import { isRhError, type RhError } from '../../../src/errors.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import type { Span, TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { BASE_TIME_UNIX_NANO, buildTracePayload } from '../../helpers/otel-payloads.ts'
import {
  anyValue,
  concat,
  event,
  field,
  keyValue,
  request,
  span,
  SPAN_ID,
  tag,
  varint,
} from './protobuf-writer.ts'

function onlySpan(decoded: TraceRequest): Span {
  const spans = decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
  expect(spans).toHaveLength(1)
  return spans[0]!
}

function decodeOne(spanBody: Uint8Array): Span {
  return onlySpan(decodeTraceRequestProtobuf(request({ spans: [spanBody] })))
}

/** The RhError `fn` throws; fails the test when it throws something else or nothing. */
function undecodable(fn: () => unknown): RhError {
  try {
    fn()
  } catch (error) {
    if (isRhError(error, 'RH_INGEST_UNDECODABLE')) return error
    throw error
  }
  throw new Error('expected RH_INGEST_UNDECODABLE, nothing was thrown')
}

describe('decodeTraceRequestProtobuf', () => {
  it('decodes what the OTel JS SDK protobuf serializer sends', () => {
    const payload = buildTracePayload({
      service: 'checkout',
      release: '1.5.0',
      environment: 'production',
      spans: [
        {
          name: 'GET /orders/{id}',
          kind: 'server',
          attributes: {
            'http.route': '/orders/{id}',
            'http.response.status_code': 503,
            ratio: 0.25,
            retried: true,
            tags: ['a', 'b'],
          },
          flags: { 'new-checkout': 'on' },
          error: 'upstream unavailable',
        },
        { name: 'SELECT orders', kind: 'client', parentIndex: 0, durationNs: 1_234_567n },
      ],
    })
    const decoded = decodeTraceRequestProtobuf(payload.protobuf)

    const [resourceSpans] = decoded.resourceSpans
    expect(resourceSpans?.resource.attributes).toEqual(
      expect.arrayContaining([
        { key: 'service.name', value: 'checkout' },
        { key: 'service.version', value: '1.5.0' },
        { key: 'deployment.environment.name', value: 'production' },
      ]),
    )
    expect(resourceSpans?.scopeSpans[0]?.scope).toEqual({
      name: 'release-health-tests',
      version: '1.0.0',
    })
    const [server, client] = resourceSpans!.scopeSpans[0]!.spans
    const serverContext = payload.spans[0]!.spanContext()
    expect(server).toEqual({
      traceId: serverContext.traceId,
      spanId: serverContext.spanId,
      parentSpanId: '',
      name: 'GET /orders/{id}',
      kind: 2,
      startTimeUnixNano: BASE_TIME_UNIX_NANO,
      endTimeUnixNano: BASE_TIME_UNIX_NANO + 10_000_000n,
      attributes: [
        { key: 'http.route', value: '/orders/{id}' },
        { key: 'http.response.status_code', value: 503n },
        { key: 'ratio', value: 0.25 },
        { key: 'retried', value: true },
        { key: 'tags', value: ['a', 'b'] },
      ],
      events: [
        {
          name: 'feature_flag.evaluation',
          timeUnixNano: BASE_TIME_UNIX_NANO + 1_000n,
          attributes: [
            { key: 'feature_flag.key', value: 'new-checkout' },
            { key: 'feature_flag.result.variant', value: 'on' },
            { key: 'feature_flag.provider.name', value: 'tests' },
          ],
        },
      ],
      status: { code: 2, message: 'upstream unavailable' },
    })
    expect(client).toMatchObject({
      parentSpanId: serverContext.spanId,
      kind: 3,
      endTimeUnixNano: BASE_TIME_UNIX_NANO + 1_000_000n + 1_234_567n,
    })
  })

  it('decodes an empty body as a request without spans', () => {
    expect(decodeTraceRequestProtobuf(new Uint8Array())).toEqual({ resourceSpans: [] })
  })

  it('decodes every AnyValue case, nested arrays and kvlists included', () => {
    const decoded = decodeOne(
      span({
        attributes: [
          keyValue('s', anyValue.string('héllo ✓')),
          keyValue('b', anyValue.bool(true)),
          keyValue('i', anyValue.int(-42n)),
          keyValue('big', anyValue.int(9_007_199_254_740_993n)),
          keyValue('min', anyValue.int(-(2n ** 63n))),
          keyValue('d', anyValue.double(-1.5)),
          keyValue('bytes', anyValue.bytes(Uint8Array.of(0, 255, 7))),
          keyValue('arr', anyValue.array(anyValue.int(1), anyValue.array(anyValue.string('x')))),
          keyValue('kv', anyValue.kvlist(keyValue('inner', anyValue.bool(false)))),
          keyValue('empty'),
          keyValue('empty-case', new Uint8Array()),
        ],
      }),
    )
    expect(decoded.attributes).toEqual([
      { key: 's', value: 'héllo ✓' },
      { key: 'b', value: true },
      { key: 'i', value: -42n },
      { key: 'big', value: 9_007_199_254_740_993n },
      { key: 'min', value: -(2n ** 63n) },
      { key: 'd', value: -1.5 },
      { key: 'bytes', value: Uint8Array.of(0, 255, 7) },
      { key: 'arr', value: [1n, ['x']] },
      { key: 'kv', value: { kvlist: [{ key: 'inner', value: false }] } },
      { key: 'empty', value: null },
      { key: 'empty-case', value: null },
    ])
  })

  it('gives ids as lower-case hex whatever their length, leaving validation to the mapping', () => {
    const decoded = decodeOne(
      span({ traceId: Uint8Array.of(0xab, 0xcd, 0x01), spanId: SPAN_ID, parentSpanId: SPAN_ID }),
    )
    expect(decoded).toMatchObject({
      traceId: 'abcd01',
      spanId: 'a0a1a2a3a4a5a6a7',
      parentSpanId: 'a0a1a2a3a4a5a6a7',
    })
  })

  it('keeps full nanosecond precision of fixed64 timestamps', () => {
    const start = 2n ** 63n + 123n
    const decoded = decodeOne(span({ startTimeUnixNano: start, endTimeUnixNano: start + 1n }))
    expect(decoded.startTimeUnixNano).toBe(start)
    expect(decoded.endTimeUnixNano).toBe(start + 1n)
  })

  it('sign-extends negative enum values written as ten-byte varints', () => {
    expect(decodeOne(span({ kind: -1 })).kind).toBe(-1)
  })

  it('skips unknown fields of every wire type, groups included', () => {
    const unknown = [
      field.varint(90, 2n ** 64n - 1n),
      field.fixed64(91, 7n),
      field.string(92, 'from the future'),
      field.fixed32(93, 5),
      concat(tag(94, 3), field.varint(1, 1), tag(95, 3), tag(95, 4), tag(94, 4)),
      field.fixed32(16, 0x301), // Span.flags: known to OTLP, not read here
      field.string(3, 'vendor=1'), // Span.trace_state
    ]
    const plain = decodeOne(span({ attributes: [keyValue('k', anyValue.string('v'))] }))
    const withUnknown = decodeOne(
      span({ attributes: [keyValue('k', anyValue.string('v'))], extra: unknown }),
    )
    expect(withUnknown).toEqual(plain)
  })

  it('skips a known field that arrives with an unexpected wire type, as protobuf parsers do', () => {
    const decoded = decodeOne(concat(span({ name: 'kept' }), field.varint(5, 1)))
    expect(decoded.name).toBe('kept')
  })

  it('keeps the last value of a singular field that repeats', () => {
    expect(decodeOne(concat(span({ name: 'first' }), field.string(5, 'second'))).name).toBe(
      'second',
    )
  })

  it('reads events with their attributes', () => {
    const decoded = decodeOne(
      span({
        events: [event('exception', [keyValue('exception.type', anyValue.string('E'))], 5n)],
      }),
    )
    expect(decoded.events).toEqual([
      { timeUnixNano: 5n, name: 'exception', attributes: [{ key: 'exception.type', value: 'E' }] },
    ])
  })

  it('accepts a 16 MiB string without trouble', () => {
    const long = 'x'.repeat(16 * 1024 * 1024)
    expect(decodeOne(span({ name: long })).name).toHaveLength(long.length)
  })
})

/** An AnyValue holding `depth` nested single-element arrays, built in linear time. */
function nestedArrays(depth: number): Uint8Array {
  const innermost = anyValue.string('bottom')
  // Sizes from the inside out: AnyValue{5: ArrayValue{1: AnyValue}} per level.
  const headers: Uint8Array[] = []
  let size = innermost.length
  for (let level = 0; level < depth; level++) {
    const arrayValueHeader = concat(tag(1, 2), varint(size))
    const anyValueHeader = concat(tag(5, 2), varint(arrayValueHeader.length + size))
    headers.push(concat(anyValueHeader, arrayValueHeader))
    size += anyValueHeader.length + arrayValueHeader.length
  }
  return concat(...headers.reverse(), innermost)
}

describe('decodeTraceRequestProtobuf on bad input', () => {
  const valid = request({ spans: [span({ attributes: [keyValue('k', anyValue.string('v'))] })] })
  const hugeLength = concat(tag(1, 2), varint(0xffff_fff0))

  it.each([
    ['garbage bytes', Uint8Array.of(0x0f, 0x01), /invalid wire type 7 in field 1 at byte 0/],
    ['an unterminated varint', Uint8Array.of(0xff, 0xff, 0xff), /truncated field tag at byte 0/],
    ['a field number of 0', Uint8Array.of(0x02, 0x00), /field number 0/],
    ['a truncated field tag', Uint8Array.of(0x80), /truncated field tag at byte 0/],
    [
      'a varint longer than ten bytes',
      concat(tag(99, 0), new Uint8Array(11).fill(0x80)),
      /varint longer than 10 bytes/,
    ],
    ['an end-group without a start', concat(tag(7, 4)), /end-group field 7 without a start-group/],
    ['an unterminated group', concat(tag(7, 3), field.varint(1, 1)), /truncated start-group/],
    ['a mismatched end-group', concat(tag(7, 3), tag(8, 4)), /does not match its start/],
    [
      'a declared length far beyond the body',
      hugeLength,
      /truncated length-delimited field 1 at byte 0 in ExportTraceServiceRequest \(declares 4294967280 bytes, 0 remain\)/,
    ],
    [
      'a truncated nested message',
      valid.subarray(0, valid.length - 3),
      /truncated length-delimited field 1 at byte 0 in ExportTraceServiceRequest/,
    ],
    [
      'a nested field overrunning its parent',
      field.message(1, field.message(2, concat(tag(2, 2), varint(50)))),
      /truncated length-delimited field 2 at byte 4 in ScopeSpans \(declares 50 bytes, 0 remain\)/,
    ],
    [
      'a truncated fixed64',
      request({ spans: [concat(tag(7, 1), Uint8Array.of(1, 2, 3))] }),
      /truncated fixed64 field 7 at byte 29 in Span/,
    ],
    [
      'gzip bytes sent without Content-Encoding',
      Uint8Array.of(0x1f, 0x8b, 0x08, 0x00),
      /gzip-compressed.*Content-Encoding: gzip/,
    ],
  ])('rejects %s with a message saying what and where', (_name, bytes, message) => {
    expect(undecodable(() => decodeTraceRequestProtobuf(bytes)).message).toMatch(message)
  })

  it.each([
    ['a lone continuation byte', Uint8Array.of(0x80)],
    ['an overlong encoding', Uint8Array.of(0xc0, 0xaf)],
    ['a UTF-16 surrogate', Uint8Array.of(0xed, 0xa0, 0x80)],
    ['a truncated sequence', Uint8Array.of(0x61, 0xe2, 0x82)],
  ])('rejects invalid UTF-8 in a string field (%s)', (_name, bytes) => {
    const body = request({ spans: [span({ attributes: [field.bytes(1, bytes)] })] })
    expect(undecodable(() => decodeTraceRequestProtobuf(body)).message).toMatch(
      /^protobuf: invalid UTF-8 in string field 1 at byte \d+ in KeyValue/,
    )
  })

  it('rejects attribute values nested deeper than 32 levels instead of overflowing the stack', () => {
    const body = request({
      spans: [span({ attributes: [keyValue('deep', nestedArrays(100_000))] })],
    })
    expect(undecodable(() => decodeTraceRequestProtobuf(body)).message).toMatch(
      /nested deeper than 32 levels/,
    )
  })

  it('skips deeply nested unknown groups without recursion', () => {
    const open = concat(...Array.from({ length: 100_000 }, () => tag(99, 3)))
    const close = concat(...Array.from({ length: 100_000 }, () => tag(99, 4)))
    expect(decodeTraceRequestProtobuf(concat(open, close))).toEqual({ resourceSpans: [] })
  })

  it('never throws anything but RhError for any prefix of a real SDK payload', () => {
    const { protobuf } = buildTracePayload({
      service: 'checkout',
      release: '1.5.0',
      spans: [
        {
          name: 'GET /',
          kind: 'server',
          attributes: { a: 'b', n: 1, d: 2.5, l: [1, 2] },
          flags: { f: 'on' },
        },
        { name: 'child', parentIndex: 0, error: 'failed' },
      ],
    })
    let decodedCleanly = 0
    for (let length = 0; length < protobuf.length; length++) {
      try {
        decodeTraceRequestProtobuf(protobuf.subarray(0, length))
        decodedCleanly++
      } catch (error) {
        expect(isRhError(error, 'RH_INGEST_UNDECODABLE'), String(error)).toBe(true)
      }
    }
    // Only the empty prefix ends on a message boundary: the payload is one ResourceSpans.
    expect(decodedCleanly).toBe(1)
  })

  it('checks a declared length against the bytes that remain in the enclosing message', () => {
    const body = concat(tag(1, 2), varint(2 ** 31), new Uint8Array(10))
    expect(undecodable(() => decodeTraceRequestProtobuf(body)).message).toMatch(/10 remain/)
  })
})
