import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeFetch } from '../../../src/ingest/kafka/formats/decode-fetch.ts'
import { decodeMessages } from '../../../src/ingest/kafka/formats/decode-message.ts'
import { packValues, toWire } from '../../../src/ingest/kafka/formats/fetch-wire.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { createRandom } from '../../../src/simulate/seeded-random.ts'
import { mutateJsonText } from '../../helpers/mutate-text.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'

const MAX_BYTES = 2_000
const OPTIONS = { mapping: toMappingOptions(DEFAULT_CONFIG), maxMessageBytes: MAX_BYTES }

const EVENT =
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00.123Z","service":"checkout","environment":"production","release":"1.5.0","flags":{"new-checkout":"on","dark":true},"name":"checkout.completed","value":182.5,"outcome":"success","attributes":{"id":"a","region":"eu-west-1","n":12}}'

/** A fetch of every kind of json message, in an order that puts each beside the others. */
const MIXED: readonly (string | Buffer | null)[] = [
  EVENT,
  null,
  '',
  EVENT.replace('"a"', '"b"').replace('1.5.0', '1.4.2'),
  // Cut short: the next value's bytes follow it in the fetch and must not be read as its end.
  EVENT.slice(0, 120),
  EVENT.replace('"value":182.5', '"value":null'),
  // An escape and non-ASCII text: valid, read by JSON.parse and toEventRow.
  EVENT.replace('checkout.completed', 'checkout\\"completed'),
  EVENT.replace('1.5.0', 'ünïcode'),
  Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
  '{"schemaVersion":1}',
  '{"schemaVersion":',
  `${EVENT} x`,
  // Larger than kafka.maxMessageBytes: refused before it is read.
  EVENT.replace('"id":"a"', `"id":"${'x'.repeat(MAX_BYTES)}"`),
  ` ${EVENT}\n`,
  EVENT.replace('"n":12', '"n":1.50,"__proto__":"x"'),
  EVENT,
]

function valuesOf(messages: readonly (string | Buffer | null)[]): (Buffer | null)[] {
  return messages.map((message) => (typeof message === 'string' ? Buffer.from(message) : message))
}

/** What a decoding thread makes of the values, and what the per-message decode makes. */
function bothWays(format: 'json' | 'otlp_proto', values: readonly (Buffer | null)[]) {
  const { bytes, bounds } = packValues(values)
  return {
    fromBytes: decodeFetch(format, bytes, bounds, OPTIONS),
    perMessage: toWire(decodeMessages(format, values, OPTIONS)),
  }
}

describe('decodeFetch', () => {
  it('decodes a mixed json fetch from its bytes and bounds exactly as decodeMessages does message by message', () => {
    const { fromBytes, perMessage } = bothWays('json', valuesOf(MIXED))
    expect(fromBytes).toEqual(perMessage)
    // The fetch holds events of both paths and poison messages of every kind.
    expect(fromBytes.events?.rows).toBe(8)
    expect(fromBytes.others.map(({ index }) => index)).toEqual([1, 2, 4, 8, 9, 10, 11, 12])
  })

  it('gives no events chunk for a json fetch without one valid event', () => {
    const { fromBytes, perMessage } = bothWays('json', valuesOf([null, '{"schemaVersion":', '']))
    expect(fromBytes).toEqual(perMessage)
    expect(fromBytes.events).toBeNull()
  })

  it('decodes a fetch of mutated events, each read only within its own bounds, as decodeMessages does', () => {
    const random = createRandom(20261127)
    const texts = Array.from({ length: 3_000 }, () => mutateJsonText(EVENT, random))
    const { fromBytes, perMessage } = bothWays('json', valuesOf(texts))
    expect(fromBytes).toEqual(perMessage)
    // Both valid events and poison messages are among them for the comparison to mean something.
    expect(fromBytes.events?.rows).toBeGreaterThan(300)
    expect(fromBytes.others.length).toBeGreaterThan(300)
  })

  it('decodes other formats message by message, as decodeMessages does', () => {
    const payload = buildTracePayload({
      service: 'checkout',
      release: '1.5.0',
      spans: [{ name: 'GET /', kind: 'server' }],
    })
    const values = [Buffer.from(payload.protobuf), null, Buffer.from(payload.protobuf)]
    const { fromBytes, perMessage } = bothWays('otlp_proto', values)
    expect(fromBytes).toEqual(perMessage)
    expect(fromBytes.others).toHaveLength(3)
  })
})
