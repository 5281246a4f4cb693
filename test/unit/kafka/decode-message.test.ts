import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeMessage, decodeMessages } from '../../../src/ingest/kafka/formats/decode-message.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import type { LowCardinalityPart } from '../../../src/store/native/native-columns.ts'

const OPTIONS = { mapping: toMappingOptions(DEFAULT_CONFIG), maxMessageBytes: 10_000 }
const EVENT = JSON.stringify({
  schemaVersion: 1,
  timestamp: '2026-11-22T10:00:00Z',
  service: 'checkout',
  name: 'login',
  outcome: 'success',
})
const PAYLOAD = buildTracePayload({
  service: 'checkout',
  release: '1.5.0',
  spans: [
    { name: 'GET /', kind: 'server' },
    { name: 'SELECT', kind: 'client', parentIndex: 0 },
  ],
})

/** Entry `index` of a LowCardinality part's dictionary, as text. */
function dictionaryEntry(part: LowCardinalityPart, index: number): string {
  const { arena, starts } = part.dictionary
  return Buffer.from(arena.subarray(starts[index], starts[index + 1])).toString('utf8')
}

describe('decodeMessage', () => {
  it('decodes a json release event to one events row', () => {
    const decoded = decodeMessage('json', Buffer.from(EVENT), OPTIONS)
    expect(decoded).toMatchObject({
      kind: 'rows',
      table: 'events',
      from: 0,
      to: 1,
      rejectedItems: [],
    })
    const chunk = decoded.kind === 'rows' && decoded.table === 'events' ? decoded.chunk : undefined
    expect(chunk?.rows).toBe(1)
    expect(
      chunk === undefined ? '' : dictionaryEntry(chunk.service, chunk.service.indexes[0]!),
    ).toBe('checkout')
  })

  it("maps a fetch's release events into one chunk, each message holding its row's place, poison messages between them taking none", () => {
    const values = [EVENT, '{"schemaVersion":', EVENT.replace('login', 'logout')].map((text) =>
      Buffer.from(text),
    )
    const decoded = decodeMessages('json', values, OPTIONS)
    expect(decoded.map((message) => message.kind)).toEqual(['rows', 'poison', 'rows'])
    const [first, , last] = decoded.map((message) =>
      message.kind === 'rows' && message.table === 'events' ? message : undefined,
    )
    expect([first?.from, first?.to, last?.from, last?.to]).toEqual([0, 1, 1, 2])
    expect(first?.chunk).toBe(last?.chunk)
    const names = last?.chunk.name
    expect(
      names === undefined ? [] : [...names.indexes].map((i) => dictionaryEntry(names, i)),
    ).toEqual(['login', 'logout'])
  })

  it.each([
    ['otlp_proto', Buffer.from(PAYLOAD.protobuf)],
    ['otlp_json', Buffer.from(PAYLOAD.json)],
  ] as const)('decodes an %s trace payload to spans rows', (format, value) => {
    const decoded = decodeMessage(format, value, OPTIONS)
    expect(decoded).toMatchObject({ kind: 'rows', table: 'spans', rejectedItems: [] })
    const chunk = decoded.kind === 'rows' && decoded.table === 'spans' ? decoded.chunk : undefined
    expect(chunk?.rows).toBe(2)
    const release = chunk?.release
    expect(
      release === undefined ? [] : [...release.indexes].map((i) => dictionaryEntry(release, i)),
    ).toEqual(['1.5.0', '1.5.0'])
  })

  it.each([
    ['json', null, 'json: the message has no value'],
    ['json', Buffer.alloc(0), 'json: the message has no value'],
    ['json', Buffer.from('{"schemaVersion":'), /^json: the message is not valid JSON/],
    ['json', Buffer.from([0x22, 0xff, 0x22]), 'json: the message is not valid UTF-8'],
    ['json', Buffer.from('{"schemaVersion":1}'), /^json: timestamp must be/],
    ['otlp_proto', Buffer.from(PAYLOAD.protobuf).subarray(0, 30), /^otlp_proto: /],
    ['otlp_json', Buffer.from('[1,2,3]'), /^otlp_json: /],
    [
      'json',
      Buffer.alloc(10_001, 0x20),
      /has 10001 bytes, more than kafka.maxMessageBytes \(10000\)/,
    ],
  ] as const)('makes a %s message %j a poison message with the reason', (format, value, reason) => {
    const decoded = decodeMessage(format, value, OPTIONS)
    expect(decoded.kind).toBe('poison')
    expect(decoded.kind === 'poison' ? decoded.error : '').toMatch(reason)
  })
})
