import { describe, expect, it } from 'vitest'
import { extractSpanItem } from '../../../src/ingest/kafka/formats/extract-span-item.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'

const PAYLOAD = buildTracePayload({
  service: 'checkout',
  release: '1.5.0',
  spans: [
    { name: 'GET /', kind: 'server' },
    { name: 'SELECT', kind: 'client', parentIndex: 0 },
    { name: 'render', kind: 'internal', parentIndex: 0 },
  ],
})

describe('extractSpanItem', () => {
  it('cuts one span out of an otlp_proto message, with its resource and scope, byte for byte', () => {
    const value = Buffer.from(PAYLOAD.protobuf)
    const whole = decodeTraceRequestProtobuf(value)
    const spans = whole.resourceSpans[0]!.scopeSpans[0]!.spans
    const item = extractSpanItem('otlp_proto', value, {
      resourceIndex: 0,
      scopeIndex: 0,
      spanIndex: 1,
    })
    const alone = decodeTraceRequestProtobuf(item!)
    expect(alone.resourceSpans).toHaveLength(1)
    expect(alone.resourceSpans[0]!.resource).toEqual(whole.resourceSpans[0]!.resource)
    expect(alone.resourceSpans[0]!.scopeSpans[0]!.scope).toEqual(
      whole.resourceSpans[0]!.scopeSpans[0]!.scope,
    )
    expect(alone.resourceSpans[0]!.scopeSpans[0]!.spans).toEqual([spans[1]])
  })

  it('keeps the source text of JSON numbers, so an int64 sent as a number is not rounded', () => {
    const text =
      '{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},' +
      '"spans":[{"name":"a"},{"name":"b","startTimeUnixNano":1795341600123456789}]}]}]}'
    const item = extractSpanItem('otlp_json', Buffer.from(text), {
      resourceIndex: 0,
      scopeIndex: 0,
      spanIndex: 1,
    })
    expect(item?.toString()).toBe(
      '{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},' +
        '"spans":[{"name":"b","startTimeUnixNano":1795341600123456789}]}]}]}',
    )
  })

  it('answers undefined for a span that is not there', () => {
    const value = Buffer.from(PAYLOAD.protobuf)
    expect(
      extractSpanItem('otlp_proto', value, { resourceIndex: 0, scopeIndex: 0, spanIndex: 9 }),
    ).toBeUndefined()
  })
})
