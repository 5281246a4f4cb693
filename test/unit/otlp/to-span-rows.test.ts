import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeTraceRequestJson } from '../../../src/ingest/otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import type { AnyValue, KeyValue, Span, TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { MAX_START_HIGH, MAX_START_LOW, MAX_START_NS } from '../../../src/model/span-rules.ts'
import {
  toMappingOptions,
  toSpanRows,
  type MappingOptions,
} from '../../../src/model/to-span-rows.ts'
import { BASE_TIME_UNIX_NANO, buildTracePayload } from '../../helpers/otel-payloads.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const TRACE_ID = '0102030405060708090a0b0c0d0e0f10'
const SPAN_ID = 'a0a1a2a3a4a5a6a7'

function attributes(record: Readonly<Record<string, AnyValue>>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }))
}

function testSpan(fields: Partial<Span> = {}): Span {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    parentSpanId: '',
    name: 'GET /x',
    kind: 2,
    startTimeUnixNano: 1_000n,
    endTimeUnixNano: 1_500n,
    attributes: [],
    events: [],
    status: { code: 0, message: '' },
    ...fields,
  }
}

function testRequest(
  resource: Readonly<Record<string, AnyValue>>,
  ...spans: readonly Span[]
): TraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes(resource) },
        scopeSpans: [{ scope: { name: 'test', version: '' }, spans }],
      },
    ],
  }
}

/** Maps one span under `resource` and returns its row. */
function rowOf(
  span: Span,
  resource: Readonly<Record<string, AnyValue>> = { 'service.name': 'checkout' },
  mapping: MappingOptions = MAPPING,
) {
  const result = toSpanRows(testRequest(resource, span), mapping)
  expect(result.rejectionMessage).toBeUndefined()
  return result.rows[0]!
}

function flagEvent(name: string, record: Readonly<Record<string, AnyValue>>) {
  return { name, timeUnixNano: 0n, attributes: attributes(record) }
}

describe('toSpanRows with real OTel SDK payloads', () => {
  const payload = buildTracePayload({
    service: 'checkout',
    release: '1.5.0',
    environment: 'production',
    resourceAttributes: { 'host.name': 'web-1' },
    spans: [
      {
        name: 'GET /orders/{id}',
        kind: 'server',
        attributes: { 'http.route': '/orders/{id}', 'http.response.status_code': 503, tags: ['a'] },
        flags: { 'new-checkout': 'on', 'dark-mode': 'off' },
        durationNs: 12_345_678n,
      },
      { name: 'SELECT', kind: 'client', parentIndex: 0, error: 'timeout' },
    ],
  })
  const [server, client] = payload.spans.map((span) => span.spanContext())

  it.each([
    ['protobuf', () => decodeTraceRequestProtobuf(payload.protobuf)],
    ['JSON', () => decodeTraceRequestJson(payload.json)],
  ])('tags and flattens spans decoded from %s', (_format, decode) => {
    const { rows, rejected, rejectionMessage } = toSpanRows(decode(), MAPPING)
    expect({ rejected, rejectionMessage }).toEqual({ rejected: 0, rejectionMessage: undefined })
    expect(rows[0]).toEqual({
      timestamp: BASE_TIME_UNIX_NANO.toString(),
      service: 'checkout',
      environment: 'production',
      release: '1.5.0',
      flags: { 'new-checkout': 'on', 'dark-mode': 'off' },
      name: 'GET /orders/{id}',
      kind: 'server',
      status_code: 'unset',
      status_message: '',
      http_status_code: 503,
      http_route: '/orders/{id}',
      is_error: 1,
      is_entry: 1,
      duration_ns: '12345678',
      trace_id: server!.traceId,
      span_id: server!.spanId,
      parent_span_id: '',
      resource_attributes: expect.objectContaining({
        'service.name': 'checkout',
        'service.version': '1.5.0',
        'deployment.environment.name': 'production',
        'host.name': 'web-1',
      }),
      span_attributes: {
        'http.route': '/orders/{id}',
        'http.response.status_code': '503',
        tags: '["a"]',
      },
    })
    expect(rows[1]).toMatchObject({
      kind: 'client',
      status_code: 'error',
      status_message: 'timeout',
      is_error: 1,
      is_entry: 0,
      http_status_code: 0,
      flags: {},
      trace_id: client!.traceId,
      parent_span_id: server!.spanId,
    })
  })
})

describe('toSpanRows dimensions', () => {
  it.each([
    ['service.name', { 'service.name': 'cart' }, 'cart'],
    ['unknown_service when service.name is missing', {}, 'unknown_service'],
    ['unknown_service when service.name is empty', { 'service.name': '' }, 'unknown_service'],
  ])('takes the service from %s', (_name, resource, service) => {
    expect(rowOf(testSpan(), resource).service).toBe(service)
  })

  it('takes the release from the resource, then the span, else empty', () => {
    const onSpan = testSpan({ attributes: attributes({ 'service.version': '2.0.0' }) })
    expect(rowOf(onSpan, { 'service.version': '1.0.0' }).release).toBe('1.0.0')
    expect(rowOf(onSpan, {}).release).toBe('2.0.0')
    expect(rowOf(testSpan(), {}).release).toBe('')
  })

  it('reads the release from a configured attribute', () => {
    const mapping = { ...MAPPING, releaseAttribute: 'app.build' }
    const resource = { 'service.version': '1.0.0', 'app.build': 'b-77' }
    expect(rowOf(testSpan(), resource, mapping).release).toBe('b-77')
  })

  it.each([
    [{ 'deployment.environment.name': 'prod', 'deployment.environment': 'old' }, {}, 'prod'],
    [{ 'deployment.environment': 'staging' }, {}, 'staging'],
    [{ 'deployment.environment.name': '' }, { 'deployment.environment': 'span-env' }, 'span-env'],
    [{}, {}, ''],
  ])('takes the environment from resource %j, then span %j', (resource, spanAttributes, env) => {
    const span = testSpan({ attributes: attributes(spanAttributes) })
    expect(rowOf(span, resource).environment).toBe(env)
  })

  it.each([
    [0, 'unspecified'],
    [1, 'internal'],
    [2, 'server'],
    [3, 'client'],
    [4, 'producer'],
    [5, 'consumer'],
    [9, 'unspecified'],
    [-1, 'unspecified'],
  ])('names span kind %i %s', (kind, name) => {
    expect(rowOf(testSpan({ kind })).kind).toBe(name)
  })

  it.each([
    [0, 'unset'],
    [1, 'ok'],
    [2, 'error'],
    [7, 'unset'],
  ])('names status code %i %s', (code, name) => {
    expect(rowOf(testSpan({ status: { code, message: 'm' } })).status_code).toBe(name)
  })

  it.each([
    ['an int http.response.status_code', { 'http.response.status_code': 404n }, 404],
    ['the legacy http.status_code', { 'http.status_code': 502n }, 502],
    ['a string status', { 'http.response.status_code': '201' }, 201],
    ['a double status', { 'http.response.status_code': 500 }, 500],
    [
      'the current name first',
      { 'http.response.status_code': 200n, 'http.status_code': 500n },
      200,
    ],
    ['no status from a non-number', { 'http.response.status_code': 'teapot' }, 0],
    ['no status from an out-of-range number', { 'http.response.status_code': 99n }, 0],
    [
      'no status from three characters that are not digits',
      { 'http.response.status_code': '2x0' },
      0,
    ],
    ['no status from a leading zero', { 'http.response.status_code': '099' }, 0],
    ['no status from a signed number', { 'http.response.status_code': '+99' }, 0],
    ['no status from a fraction', { 'http.response.status_code': 200.5 }, 0],
    ['the largest three-digit status', { 'http.response.status_code': 999n }, 999],
    ['no status from a non-HTTP span', {}, 0],
  ])('reads %s', (_name, record: Record<string, AnyValue>, status) => {
    expect(rowOf(testSpan({ attributes: attributes(record) })).http_status_code).toBe(status)
  })

  it.each([
    ['a server span answering 5xx', 2, 0, 503n, 1],
    ['a server span answering 4xx', 2, 0, 404n, 0],
    ['a client span receiving 5xx', 3, 0, 503n, 0],
    ['a client span with error status', 3, 2, 200n, 1],
    ['an ok server span', 2, 1, 200n, 0],
  ])('counts %s as is_error %i', (_name, kind, code, status, isError) => {
    const span = testSpan({
      kind,
      status: { code, message: '' },
      attributes: attributes({ 'http.response.status_code': status }),
    })
    expect(rowOf(span).is_error).toBe(isError)
  })

  it.each([
    ['a server span with a parent', 2, SPAN_ID, 1],
    ['a consumer span with a parent', 5, SPAN_ID, 1],
    ['a client span with a parent', 3, SPAN_ID, 0],
    ['an internal root span', 1, '', 1],
    ['an internal span with an all-zero parent', 1, '0000000000000000', 1],
  ])('counts %s as is_entry %i', (_name, kind, parentSpanId, isEntry) => {
    expect(rowOf(testSpan({ kind, parentSpanId })).is_entry).toBe(isEntry)
  })

  it('writes times as decimal nanoseconds, up to the last nanosecond before 2100', () => {
    const start = MAX_START_NS - 8n
    expect(
      rowOf(testSpan({ startTimeUnixNano: start, endTimeUnixNano: start + 7n })),
    ).toMatchObject({ timestamp: start.toString(), duration_ns: '7' })
  })

  it('flattens every attribute type to strings', () => {
    const row = rowOf(
      testSpan({
        attributes: attributes({
          s: 'text',
          b: true,
          i: -3n,
          d: 1.5,
          nan: Number.NaN,
          bytes: Uint8Array.of(1, 2, 3),
          arr: ['a', 1n, 2.5, false, null, Uint8Array.of(255), Number.POSITIVE_INFINITY],
          kv: { kvlist: attributes({ 'k"ey': 'v', nested: [1n] }) },
          empty: null,
          dup: 'first',
        }).concat({ key: 'dup', value: 'last' }, { key: '__proto__', value: 'data' }),
      }),
    )
    expect(row.span_attributes).toEqual({
      s: 'text',
      b: 'true',
      i: '-3',
      d: '1.5',
      nan: 'NaN',
      bytes: 'AQID',
      arr: '["a",1,2.5,false,null,"/w==","Infinity"]',
      kv: '{"k\\"ey":"v","nested":[1]}',
      empty: '',
      dup: 'last',
      ['__proto__']: 'data',
    })
    expect(Object.keys(row.span_attributes)).toContain('__proto__')
  })
})

describe('toSpanRows flags', () => {
  it.each([
    [
      'current events with result.variant',
      [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'feature_flag.result.variant': 'on',
        }),
      ],
      { a: 'on' },
    ],
    [
      'legacy event name and legacy variant',
      [flagEvent('feature_flag', { 'feature_flag.key': 'a', 'feature_flag.variant': 'blue' })],
      { a: 'blue' },
    ],
    [
      'the evaluated value when no variant is recorded',
      [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'feature_flag.result.value': true,
        }),
      ],
      { a: 'true' },
    ],
    [
      'an empty variant when the outcome is not recorded',
      [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'error.type': 'flag_not_found',
        }),
      ],
      { a: '' },
    ],
    [
      'the variant over the legacy variant and the value',
      [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'feature_flag.result.value': 1n,
          'feature_flag.variant': 'legacy',
          'feature_flag.result.variant': 'current',
        }),
      ],
      { a: 'current' },
    ],
    [
      'the last evaluation of a flag evaluated twice',
      [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'feature_flag.result.variant': '1',
        }),
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'a',
          'feature_flag.result.variant': '2',
        }),
      ],
      { a: '2' },
    ],
    [
      'nothing from other events or events without a key',
      [
        flagEvent('exception', { 'feature_flag.key': 'a', 'feature_flag.result.variant': 'on' }),
        flagEvent('feature_flag.evaluation', { 'feature_flag.result.variant': 'on' }),
      ],
      {},
    ],
  ])('reads %s', (_name, events, flags) => {
    expect(rowOf(testSpan({ events })).flags).toEqual(flags)
  })

  it('reads prefixed span attributes as flags when a prefix is configured', () => {
    const span = testSpan({
      attributes: attributes({ 'flag.checkout': 'v2', 'flag.': 'no key', other: 'x' }),
      events: [
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'checkout',
          'feature_flag.result.variant': 'v3',
        }),
        flagEvent('feature_flag.evaluation', {
          'feature_flag.key': 'search',
          'feature_flag.result.variant': 'on',
        }),
      ],
    })
    expect(rowOf(span, {}, { ...MAPPING, flagAttributePrefix: 'flag.' }).flags).toEqual({
      checkout: 'v3',
      search: 'on',
    })
    const attributesOnly = testSpan({ attributes: attributes({ 'flag.checkout': 'v2' }) })
    expect(rowOf(attributesOnly, {}, { ...MAPPING, flagAttributePrefix: 'flag.' }).flags).toEqual({
      checkout: 'v2',
    })
    expect(rowOf(attributesOnly).flags).toEqual({})
  })
})

describe('toSpanRows rejections', () => {
  const manyAttributes = Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`k${i}`, 'v']))

  it.each([
    ['a 5-byte trace id', { traceId: '0102030405' }, 'traceId must be 16 bytes, got 5'],
    ['no trace id', { traceId: '' }, 'traceId must be 16 bytes, got 0'],
    [
      'an all-zero trace id',
      { traceId: '0'.repeat(32) },
      'traceId must not be all zeroes (an invalid id in OTLP)',
    ],
    ['a 9-byte span id', { spanId: 'a0a1a2a3a4a5a6a7a8' }, 'spanId must be 8 bytes, got 9'],
    [
      'an all-zero span id',
      { spanId: '0000000000000000' },
      'spanId must not be all zeroes (an invalid id in OTLP)',
    ],
    ['a 2-byte parent id', { parentSpanId: 'a0a1' }, 'parentSpanId must be 0 or 8 bytes, got 2'],
    [
      'a base64 span id from JSON',
      { spanId: 'oKGio6Slpqc=' },
      'spanId must be 8 bytes as hex (OTLP/JSON ids are hex, not base64), got "oKGio6Slpqc="',
    ],
    [
      'an odd-length trace id from JSON',
      { traceId: 'abc' },
      'traceId must be 16 bytes as hex (OTLP/JSON ids are hex, not base64), got "abc"',
    ],
    [
      'a start at 2100-01-01, past what the retention and the per-minute tables hold',
      { startTimeUnixNano: MAX_START_NS, endTimeUnixNano: MAX_START_NS + 1n },
      'startTimeUnixNano 4102444800000000000 is not before 2100-01-01, the latest start time the store keeps',
    ],
    [
      'a start at 2^63 ns, past what DateTime64(9) holds',
      { startTimeUnixNano: 2n ** 63n, endTimeUnixNano: 2n ** 63n + 1n },
      'startTimeUnixNano 9223372036854775808 is not before 2100-01-01, the latest start time the store keeps',
    ],
    [
      'the largest fixed64 start',
      { startTimeUnixNano: 2n ** 64n - 1n, endTimeUnixNano: 2n ** 64n - 1n },
      'startTimeUnixNano 18446744073709551615 is not before 2100-01-01, the latest start time the store keeps',
    ],
    [
      'an end before its start',
      { startTimeUnixNano: 10n, endTimeUnixNano: 5n },
      'endTimeUnixNano 5 is before startTimeUnixNano 10',
    ],
    [
      '513 attributes',
      { attributes: attributes(manyAttributes) },
      '513 attributes, more than the limit of 512',
    ],
  ])('rejects a span with %s and keeps the others', (_name, fields: Partial<Span>, reason) => {
    const request = testRequest(
      { 'service.name': 'checkout' },
      testSpan({ name: 'good' }),
      testSpan({ name: 'GET /bad', ...fields }),
      testSpan({ name: 'also good' }),
    )
    const result = toSpanRows(request, MAPPING)
    expect(result.rows.map((row) => row.name)).toEqual(['good', 'also good'])
    expect(result.rejected).toBe(1)
    expect(result.rejectionMessage).toBe(
      `span "GET /bad" (resourceSpans[0].scopeSpans[0].spans[1]): ${reason}`,
    )
  })

  it('counts every rejected span, reports the first reason and lists each with its place', () => {
    const request = testRequest(
      {},
      testSpan({ name: 'a', traceId: 'ab' }),
      testSpan({ name: 'ok' }),
      testSpan({ name: 'b', spanId: '' }),
    )
    const first =
      'span "a" (resourceSpans[0].scopeSpans[0].spans[0]): traceId must be 16 bytes, got 1'
    expect(toSpanRows(request, MAPPING)).toEqual({
      rows: [expect.objectContaining({ name: 'ok' })],
      accepted: 1,
      rejected: 2,
      rejectionMessage: first,
      rejections: [
        { index: 0, resourceIndex: 0, scopeIndex: 0, spanIndex: 0, message: first },
        {
          index: 2,
          resourceIndex: 0,
          scopeIndex: 0,
          spanIndex: 2,
          message: expect.stringMatching(
            /^span "b" \(resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[2\]\): spanId/,
          ),
        },
      ],
    })
  })

  it('cuts a long span name short in the message', () => {
    const request = testRequest({}, testSpan({ name: 'n'.repeat(10_000), traceId: '' }))
    expect(toSpanRows(request, MAPPING).rejectionMessage).toBe(
      `span "${'n'.repeat(64)}..." (resourceSpans[0].scopeSpans[0].spans[0]): traceId must be 16 bytes, got 0`,
    )
  })

  it('rejects the spans of a resource with more attributes than the limit', () => {
    const resource = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`r${i}`, 'v']))
    const result = toSpanRows(testRequest(resource, testSpan(), testSpan()), {
      ...MAPPING,
      maxAttributesPerSpan: 10,
    })
    expect(result.rejected).toBe(2)
    expect(result.rejectionMessage).toMatch(
      /its resource has 20 attributes, more than the limit of 10$/,
    )
  })

  it('accepts a span at exactly the attribute limit', () => {
    const span = testSpan({ attributes: attributes({ a: '1', b: '2' }) })
    expect(
      toSpanRows(testRequest({}, span), { ...MAPPING, maxAttributesPerSpan: 2 }).rejected,
    ).toBe(0)
  })
})

describe('MAX_START_NS', () => {
  it('is 2100-01-01, and the decoder reads it as the same two 32-bit words', () => {
    expect(new Date(Number(MAX_START_NS / 1_000_000n)).toISOString()).toBe(
      '2100-01-01T00:00:00.000Z',
    )
    expect((BigInt(MAX_START_HIGH) << 32n) | BigInt(MAX_START_LOW)).toBe(MAX_START_NS)
  })
})
