import { describe, expect, it } from 'vitest'
import { isRhError, type RhError } from '../../../src/errors.ts'
import { decodeTraceRequestJson } from '../../../src/ingest/otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import type { Span } from '../../../src/ingest/otlp/otlp-types.ts'
import { buildRealisticPayload, buildTracePayload } from '../../helpers/otel-payloads.ts'

const TRACE_ID = '0102030405060708090a0b0c0d0e0f10'
const SPAN_ID = 'a0a1a2a3a4a5a6a7'

/** A one-span OTLP/JSON request; `spanFields` replace or add to a valid span. */
function requestWithSpan(spanFields: Record<string, unknown>): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: TRACE_ID,
                spanId: SPAN_ID,
                name: 'GET /x',
                kind: 2,
                startTimeUnixNano: '1000000000',
                endTimeUnixNano: '1250000000',
                ...spanFields,
              },
            ],
          },
        ],
      },
    ],
  })
}

function decodeOne(spanFields: Record<string, unknown>): Span {
  const decoded = decodeTraceRequestJson(requestWithSpan(spanFields))
  return decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!
}

function undecodable(fn: () => unknown): RhError {
  try {
    fn()
  } catch (error) {
    if (isRhError(error, 'RH_INGEST_UNDECODABLE')) return error
    throw error
  }
  throw new Error('expected RH_INGEST_UNDECODABLE, nothing was thrown')
}

describe('decodeTraceRequestJson', () => {
  it('decodes what the OTel JS SDK JSON serializer sends exactly as its protobuf twin', () => {
    const payload = buildRealisticPayload(50)
    expect(decodeTraceRequestJson(payload.json)).toEqual(
      decodeTraceRequestProtobuf(payload.protobuf),
    )
  })

  it('matches the protobuf decoding for every attribute type the SDK can send', () => {
    const payload = buildTracePayload({
      service: 'checkout',
      spans: [
        {
          name: 'types',
          attributes: {
            s: 'ünïcödé',
            i: -7,
            d: 0.1,
            b: false,
            strings: ['a', 'b'],
            numbers: [1, 2.5],
            bools: [true],
          },
          events: [{ name: 'exception', attributes: { 'exception.message': 'boom' } }],
          error: 'failed',
        },
      ],
    })
    expect(decodeTraceRequestJson(payload.json)).toEqual(
      decodeTraceRequestProtobuf(payload.protobuf),
    )
  })

  it('accepts the body as UTF-8 bytes', () => {
    const payload = buildRealisticPayload(4)
    expect(decodeTraceRequestJson(new TextEncoder().encode(payload.json))).toEqual(
      decodeTraceRequestJson(payload.json),
    )
  })

  it('accepts the original snake_case field names', () => {
    const decoded = decodeTraceRequestJson(
      JSON.stringify({
        resource_spans: [
          {
            scope_spans: [
              {
                spans: [
                  {
                    trace_id: TRACE_ID,
                    span_id: SPAN_ID,
                    parent_span_id: SPAN_ID,
                    start_time_unix_nano: '5',
                    end_time_unix_nano: '6',
                    attributes: [{ key: 'n', value: { int_value: '3' } }],
                    events: [{ time_unix_nano: '7', name: 'e' }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    )
    expect(decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: SPAN_ID,
      startTimeUnixNano: 5n,
      endTimeUnixNano: 6n,
      attributes: [{ key: 'n', value: 3n }],
      events: [{ timeUnixNano: 7n, name: 'e', attributes: [] }],
    })
  })

  it('accepts enum names as well as numbers', () => {
    expect(
      decodeOne({ kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_ERROR' } }),
    ).toMatchObject({ kind: 5, status: { code: 2, message: '' } })
  })

  it('accepts int64 as a string or a number, keeping string precision', () => {
    expect(
      decodeOne({
        startTimeUnixNano: '18446744073709551615',
        endTimeUnixNano: 1_700_000_000,
        attributes: [
          { key: 'a', value: { intValue: '-9223372036854775808' } },
          { key: 'b', value: { intValue: 42 } },
        ],
      }),
    ).toMatchObject({
      startTimeUnixNano: 2n ** 64n - 1n,
      endTimeUnixNano: 1_700_000_000n,
      attributes: [
        { key: 'a', value: -(2n ** 63n) },
        { key: 'b', value: 42n },
      ],
    })
  })

  it('keeps an integral JSON number beyond int64 as the double it is', () => {
    expect(
      decodeOne({ attributes: [{ key: 'huge', value: { intValue: 1e20 } }] }).attributes,
    ).toEqual([{ key: 'huge', value: 1e20 }])
  })

  it('decodes every AnyValue case', () => {
    const attributes = decodeOne({
      attributes: [
        { key: 'bytes', value: { bytesValue: 'AP8H' } },
        { key: 'bytes-url', value: { bytesValue: '-_8' } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
        { key: 'numeric-string', value: { doubleValue: '2.5' } },
        { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, {}] } } },
        {
          key: 'kv',
          value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } },
        },
        { key: 'empty-array', value: { arrayValue: {} } },
        { key: 'no-value' },
        { key: 'null-value', value: null },
      ],
    }).attributes
    expect(attributes).toEqual([
      { key: 'bytes', value: Uint8Array.of(0, 255, 7) },
      { key: 'bytes-url', value: Uint8Array.of(251, 255) },
      { key: 'nan', value: Number.NaN },
      { key: 'inf', value: Number.NEGATIVE_INFINITY },
      { key: 'numeric-string', value: 2.5 },
      { key: 'arr', value: [1n, null] },
      { key: 'kv', value: { kvlist: [{ key: 'x', value: true }] } },
      { key: 'empty-array', value: [] },
      { key: 'no-value', value: null },
      { key: 'null-value', value: null },
    ])
  })

  it('lower-cases hex ids and passes non-hex ids through for the mapping to reject', () => {
    expect(
      decodeOne({ traceId: TRACE_ID.toUpperCase(), spanId: 'oKGio6Slpqc=', parentSpanId: null }),
    ).toMatchObject({ traceId: TRACE_ID, spanId: 'oKGio6Slpqc=', parentSpanId: '' })
  })

  it('ignores unknown fields at every level', () => {
    const decoded = decodeOne({
      traceState: 'a=b',
      flags: 257,
      links: [{ traceId: 'zz' }],
      futureField: { anything: [1, 2, 3] },
      attributes: [{ key: 'k', value: { stringValue: 'v', futureCase: 1 }, extra: true }],
    })
    expect(decoded.attributes).toEqual([{ key: 'k', value: 'v' }])
  })

  it('treats null fields as absent, as the protobuf JSON mapping does', () => {
    expect(decodeOne({ name: null, events: null, status: null, kind: null })).toMatchObject({
      name: '',
      events: [],
      status: { code: 0, message: '' },
      kind: 0,
    })
  })
})

describe('decodeTraceRequestJson on bad input', () => {
  const span = 'resourceSpans[0].scopeSpans[0].spans[0]'

  it.each([
    ['invalid JSON', '{"resourceSpans": [', /^json: the body is not valid JSON: /],
    ['a JSON array body', '[]', /^json: the body must be a JSON object/],
    ['a JSON string body', '"hello"', /^json: the body must be a JSON object/],
    [
      'resourceSpans not an array',
      '{"resourceSpans": {}}',
      /^json: resourceSpans must be an array, got an object$/,
    ],
    [
      'a null element',
      '{"resourceSpans": [null]}',
      /^json: resourceSpans\[0\] must be an object, got null$/,
    ],
    [
      'a scopeSpans element of the wrong type',
      '{"resourceSpans": [{"scopeSpans": [{}, 5]}]}',
      /^json: resourceSpans\[0\]\.scopeSpans\[1\] must be an object, got number 5$/,
    ],
  ])('rejects %s', (_name, body, message) => {
    expect(undecodable(() => decodeTraceRequestJson(body)).message).toMatch(message)
  })

  it.each([
    [
      { startTimeUnixNano: '12.5' },
      `${span}.startTimeUnixNano must be an integer string (unsigned 64-bit), got string "12.5"`,
    ],
    [
      { startTimeUnixNano: -1 },
      `${span}.startTimeUnixNano must be an integer string (unsigned 64-bit), got number -1`,
    ],
    [
      { endTimeUnixNano: '18446744073709551616' },
      `${span}.endTimeUnixNano must be an integer string (unsigned 64-bit), got string "18446744073709551616"`,
    ],
    [
      { endTimeUnixNano: true },
      `${span}.endTimeUnixNano must be an integer string (unsigned 64-bit), got boolean true`,
    ],
    [{ name: 7 }, `${span}.name must be a string, got number 7`],
    [{ traceId: 12 }, `${span}.traceId must be a string, got number 12`],
    [
      { kind: 'SERVER' },
      `${span}.kind must be one of 0 (SPAN_KIND_UNSPECIFIED), 1 (SPAN_KIND_INTERNAL), 2 (SPAN_KIND_SERVER), 3 (SPAN_KIND_CLIENT), 4 (SPAN_KIND_PRODUCER), 5 (SPAN_KIND_CONSUMER), got string "SERVER"`,
    ],
    [{ kind: 2.5 }, `${span}.kind must be one of`],
    [
      { status: { code: 'bad' } },
      `${span}.status.code must be one of 0 (STATUS_CODE_UNSET), 1 (STATUS_CODE_OK), 2 (STATUS_CODE_ERROR), got string "bad"`,
    ],
    [{ status: [] }, `${span}.status must be an object, got an array`],
    [{ attributes: {} }, `${span}.attributes must be an array, got an object`],
    [{ attributes: [{ key: 1 }] }, `${span}.attributes[0].key must be a string, got number 1`],
    [
      { attributes: [{ key: 'k', value: 'v' }] },
      `${span}.attributes[0].value must be an object, got string "v"`,
    ],
    [
      { attributes: [{ key: 'k', value: { intValue: '1e3' } }] },
      `${span}.attributes[0].value.intValue must be an integer string (signed 64-bit), got string "1e3"`,
    ],
    [
      { attributes: [{ key: 'k', value: { intValue: 1.5 } }] },
      `${span}.attributes[0].value.intValue must be an integer string (signed 64-bit), got number 1.5`,
    ],
    [
      { attributes: [{ key: 'k', value: { boolValue: 'true' } }] },
      `${span}.attributes[0].value.boolValue must be true or false, got string "true"`,
    ],
    [
      { attributes: [{ key: 'k', value: { doubleValue: 'fast' } }] },
      `${span}.attributes[0].value.doubleValue must be a number, got string "fast"`,
    ],
    [
      { attributes: [{ key: 'k', value: { bytesValue: 'not base64!' } }] },
      `${span}.attributes[0].value.bytesValue must be a base64 string, got string "not base64!"`,
    ],
    [
      { attributes: [{ key: 'k', value: { arrayValue: { values: [1] } } }] },
      `${span}.attributes[0].value.arrayValue.values[0] must be an object, got number 1`,
    ],
    [
      { events: [{ name: 'e', timeUnixNano: 'soon' }] },
      `${span}.events[0].timeUnixNano must be an integer string (unsigned 64-bit), got string "soon"`,
    ],
    [{ name: 'x'.repeat(100), kind: {} }, `${span}.kind must be one of`],
  ])('refuses a request whose span has %j, naming the JSON path', (fields, message) => {
    expect(undecodable(() => decodeOne(fields)).message).toContain(`json: ${message}`)
  })

  it('rejects strings with lone UTF-16 surrogates', () => {
    expect(
      undecodable(() => decodeTraceRequestJson(requestWithSpan({ name: '\ud800' }))).message,
    ).toBe(`json: ${span}.name contains a lone UTF-16 surrogate (\\uD800-\\uDFFF)`)
  })

  it('rejects bytes that are not UTF-8', () => {
    expect(undecodable(() => decodeTraceRequestJson(Uint8Array.of(0x7b, 0xff, 0x7d))).message).toBe(
      'json: the body is not valid UTF-8',
    )
  })

  it('rejects attribute values nested deeper than 32 levels', () => {
    // Built as text: JSON.stringify itself would overflow the stack at this depth.
    const depth = 100_000
    const value = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"bottom"}${']}}'.repeat(depth)}`
    const body = requestWithSpan({ attributes: [{ key: 'deep', value: 'PLACEHOLDER' }] }).replace(
      '"PLACEHOLDER"',
      value,
    )
    expect(undecodable(() => decodeTraceRequestJson(body)).message).toMatch(
      /attributes\[0\]\.value(\.arrayValue\.values\[0\]){32}\.arrayValue is nested deeper than 32 levels$/,
    )
  })
})
