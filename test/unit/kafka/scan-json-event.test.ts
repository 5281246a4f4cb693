import { describe, expect, it } from 'vitest'
import { ScannedEvent, scanJsonEvent } from '../../../src/ingest/kafka/formats/scan-json-event.ts'
import { toEventRow } from '../../../src/model/to-event-row.ts'
import { createRandom } from '../../../src/simulate/seeded-random.ts'
import { mutateJsonText } from '../../helpers/mutate-text.ts'
import {
  createEventsChunkBuilder,
  encodeEventsBlock,
  toEventsChunk,
} from '../../../src/store/events-block.ts'

const LIMITS = { maxAttributes: 8 }

/** The Native block of the message as the scanner reads it, or undefined when it declines. */
function scannedBlock(text: string): Uint8Array | undefined {
  const scanned = new ScannedEvent()
  const bytes = Buffer.from(text)
  if (!scanJsonEvent(bytes, 0, bytes.length, LIMITS, scanned)) return undefined
  const builder = createEventsChunkBuilder()
  builder.addBytes(scanned)
  return encodeEventsBlock([{ chunk: builder.finish(), from: 0, to: 1 }])
}

/** The Native block of the message as JSON.parse and toEventRow read it, or undefined if refused. */
function parsedBlock(text: string): Uint8Array | undefined {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    return undefined
  }
  const result = toEventRow(document, LIMITS)
  if (!result.ok) return undefined
  return encodeEventsBlock([{ chunk: toEventsChunk([result.row]), from: 0, to: 1 }])
}

const PLAIN = [
  '{"schemaVersion":1,"timestamp":"2099-12-31T23:59:59.999999999Z","service":"s","name":"n","value":-9007199254740991,"attributes":{"big":123456789012345678901234567890}}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00.123Z","service":"checkout","name":"login","outcome":"success"}',
  ' {\n\t"schemaVersion" : 1 ,\r\n "timestamp":"2026-11-22T11:00:00+01:00", "service":"s","environment":"production","release":"1.5.0","flags":{"new-checkout":"on","dark":true,"ratio":0.50,"count":-12e2},"name":"checkout.completed","value":-0.125e1,"outcome":"failure","attributes":{"order.id":"o-1","a":"x","a":"y"}} ',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","environment":null,"release":null,"flags":null,"name":"n","value":42,"outcome":null,"attributes":{}}',
  '{"name":"n","value":0,"service":"s","timestamp":"1970-01-01T00:00:00.000000001Z","schemaVersion":1,"attributes":{"empty":""}}',
]

const LEFT_TO_JSON_PARSE = [
  [
    'an escape',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"a\\"b","name":"n","value":1}',
  ],
  [
    'non-ASCII text',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"ünï","name":"n","value":1}',
  ],
  [
    'a field not documented',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1,"extra":[1,{"a":2}]}',
  ],
  [
    'a field given twice',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","service":"t","name":"n","value":1}',
  ],
  [
    'schemaVersion written as 1.0',
    '{"schemaVersion":1.0,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1}',
  ],
  [
    'an integer-like map key',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1,"flags":{"b":"x","1":"y"}}',
  ],
  [
    'a __proto__ map key',
    '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1,"attributes":{"__proto__":"x"}}',
  ],
] as const

const REFUSED = [
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1e400}',
  '{"schemaVersion":2,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1}',
  '{"schemaVersion":1,"timestamp":"2126-11-22T10:00:00Z","service":"s","name":"n","value":1}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"","name":"n","value":1}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n"}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","outcome":"ok"}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1,"flags":{"a":null}}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1,"flags":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}}',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":1} x',
  '{"schemaVersion":1,"timestamp":"2026-11-22T10:00:00Z","service":"s","name":"n","value":01}',
]

describe('scanJsonEvent', () => {
  it.each(PLAIN)('reads plain event %# to the very row toEventRow makes of it', (text) => {
    const scanned = scannedBlock(text)
    expect(scanned).toBeDefined()
    expect(scanned).toEqual(parsedBlock(text))
  })

  it.each(LEFT_TO_JSON_PARSE)('leaves an event with %s to JSON.parse', (_, text) => {
    expect(scannedBlock(text)).toBeUndefined()
    expect(parsedBlock(text)).toBeDefined()
  })

  it.each(REFUSED)(
    'declines invalid event %#, which toEventRow refuses with its reason',
    (text) => {
      expect(scannedBlock(text)).toBeUndefined()
      expect(parsedBlock(text)).toBeUndefined()
    },
  )

  it('declines a key whose bytes are not ASCII, even where their low seven bits spell a field', () => {
    const bytes = Buffer.from(PLAIN[1]!)
    bytes[bytes.indexOf('"service"') + 1] = 0x80 | 0x73
    expect(scanJsonEvent(bytes, 0, bytes.length, LIMITS, new ScannedEvent())).toBe(false)
    const unmasked = Buffer.from(PLAIN[1]!)
    expect(scanJsonEvent(unmasked, 0, unmasked.length, LIMITS, new ScannedEvent())).toBe(true)
  })

  it('accepts a mutated message only when JSON.parse and toEventRow accept it, with the same row', () => {
    const random = createRandom(20261126)
    let accepted = 0
    for (let trial = 0; trial < 20_000; trial++) {
      const text = mutateJsonText(PLAIN[trial % PLAIN.length]!, random)
      const scanned = scannedBlock(text)
      if (scanned === undefined) continue
      accepted++
      expect(scanned, text).toEqual(parsedBlock(text))
    }
    // Enough of the mutations keep a valid event for the comparison to mean something.
    expect(accepted).toBeGreaterThan(500)
  })
})
