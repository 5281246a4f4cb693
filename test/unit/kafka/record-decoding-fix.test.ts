import { createRequire } from 'node:module'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  applyRecordDecodingFix,
  fixKafkaRecordDecoding,
  type KafkaDecoderClass,
  type KafkaLongClass,
} from '../../../src/ingest/kafka/consumer/record-decoding-fix.ts'

const require = createRequire(import.meta.url)

interface LongValue {
  readonly value: bigint
}
interface Decoder {
  offset: number
  readVarLong: () => LongValue
}
interface FetchPartition {
  partition: number
  messages: unknown[]
}
interface FetchResponse {
  responses: { topicName: string; partitions: FetchPartition[] }[]
}
interface KafkaBatch {
  messages: unknown[]
  messagesWithinOffset: unknown[]
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
  isEmptyControlRecord(): boolean
}
/** One copy of the KafkaJS modules on the consumer's decoding path. */
interface KafkaDecoding {
  Decoder: KafkaDecoderClass & (new (buffer: Buffer) => Decoder)
  Long: KafkaLongClass & { fromValue: (value: bigint | number | string) => LongValue }
  response: { decode(payload: Buffer): Promise<FetchResponse> }
  Batch: new (topic: string, fetchedOffset: string, partition: FetchPartition) => KafkaBatch
}

const KAFKAJS_SRC = require.resolve('kafkajs/package.json').replace(/package\.json$/, 'src/')

function requireDecoding(): KafkaDecoding {
  return {
    Decoder: require('kafkajs/src/protocol/decoder.js') as KafkaDecoding['Decoder'],
    Long: require('kafkajs/src/utils/long.js') as KafkaDecoding['Long'],
    response:
      require('kafkajs/src/protocol/requests/fetch/v11/response.js') as KafkaDecoding['response'],
    Batch: require('kafkajs/src/consumer/batch.js') as KafkaDecoding['Batch'],
  }
}

/**
 * A second, private copy of KafkaJS's decoding modules, loaded past the module cache: the fix
 * patches the copy KafkaJS itself uses (the cached one), never this one, so it decodes as
 * KafkaJS 2.2.4 does unpatched.
 */
function loadPristineDecoding(): KafkaDecoding {
  const cached = Object.entries(require.cache).filter(([path]) => path.startsWith(KAFKAJS_SRC))
  for (const [path] of cached) delete require.cache[path]
  try {
    return requireDecoding()
  } finally {
    for (const path of Object.keys(require.cache)) {
      if (path.startsWith(KAFKAJS_SRC)) delete require.cache[path]
    }
    for (const [path, module] of cached) require.cache[path] = module
  }
}

// Encoders from KafkaJS itself (producer side, untouched by the fix).
interface KafkaEncoder {
  buffer: Buffer
  writeInt16(value: number): KafkaEncoder
  writeInt32(value: number): KafkaEncoder
  writeInt64(value: bigint): KafkaEncoder
  writeString(value: string): KafkaEncoder
  writeBuffer(value: Buffer): KafkaEncoder
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => KafkaEncoder
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: {
  offsetDelta: number
  timestampDelta: unknown
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, string | string[]>
}) => unknown
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  buffer: Buffer,
) => number

const TWO_53 = 2n ** 53n
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const GZIP = 1
const LOG_APPEND_TIME_FLAG = 0x08
const TRANSACTIONAL_FLAG = 0x10
const CONTROL_FLAG = 0x20
/** Where a record batch's attributes start: base offset, length, leader epoch, magic, CRC. */
const ATTRIBUTES_OFFSET = 8 + 4 + 4 + 1 + 4

/** Timestamp deltas across every varlong length, both signs, and both sides of 2^48 and 2^53. */
const TIMESTAMP_DELTAS = [
  0n,
  1n,
  -1n,
  63n,
  -64n,
  64n,
  1_000n,
  2n ** 20n,
  -(2n ** 27n),
  2n ** 47n,
  2n ** 48n - 1n,
  -(2n ** 48n),
  2n ** 48n,
  -(2n ** 48n) - 1n,
  TWO_53 + 1n,
  -(2n ** 62n),
  INT64_MAX,
  INT64_MIN,
]

/** Record `i` of a batch: keys and values sometimes null, headers none, one, or repeated keys. */
function testRecord(i: number, timestampDelta: bigint): unknown {
  const headerChoices: Record<string, string | string[]>[] = [
    {},
    { 'trace-id': `t-${i}` },
    { release: ['1.4.2', '1.5.0', '1.5.0'], tenant: String(i % 7) },
  ]
  return Record({
    offsetDelta: i,
    timestampDelta,
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 11 === 0 ? null : Buffer.from(JSON.stringify({ n: i, name: 'checkout.completed' })),
    headers: headerChoices[i % headerChoices.length] as Record<string, string | string[]>,
  })
}

async function recordBatch(options: {
  firstOffset: bigint
  firstTimestamp: bigint
  maxTimestamp?: bigint
  count: number
  deltas?: readonly bigint[]
  compression?: number
  flags?: number
}): Promise<Buffer> {
  const { firstOffset, firstTimestamp, count, deltas = [0n] } = options
  const records = Array.from({ length: count }, (_, i) =>
    testRecord(i, deltas[i % deltas.length] as bigint),
  )
  const { buffer } = await RecordBatch({
    firstOffset: BigInt.asIntN(64, firstOffset),
    firstTimestamp: BigInt.asIntN(64, firstTimestamp),
    maxTimestamp: BigInt.asIntN(64, options.maxTimestamp ?? firstTimestamp),
    lastOffsetDelta: count - 1,
    compression: options.compression ?? 0,
    records,
  })
  const batch = Buffer.from(buffer)
  if (options.flags !== undefined) {
    // KafkaJS's producer never writes these flags; set them as a broker would, with a valid CRC.
    batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_OFFSET) | options.flags, ATTRIBUTES_OFFSET)
    batch.writeUInt32BE(crc32C(batch.subarray(ATTRIBUTES_OFFSET)) >>> 0, ATTRIBUTES_OFFSET - 4)
  }
  return batch
}

/** A Fetch v11 response body (after the correlation id) with one topic. */
function fetchResponse(
  topic: string,
  partitions: { partition: number; highWatermark: bigint; batches: Buffer[] }[],
): Buffer {
  const encoder = new Encoder().writeInt32(0).writeInt16(0).writeInt32(0).writeInt32(1)
  encoder.writeString(topic).writeInt32(partitions.length)
  for (const { partition, highWatermark, batches } of partitions) {
    const records = Buffer.concat(batches)
    encoder.writeInt32(partition).writeInt16(0)
    encoder.writeInt64(highWatermark).writeInt64(highWatermark).writeInt64(0n)
    encoder.writeInt32(-1).writeInt32(-1).writeInt32(records.length).writeBuffer(records)
  }
  return encoder.buffer
}

const TOPIC = 'events'
/** Partition 0 is fetched from here, inside its first batch: the batch drops what lies before. */
const FETCHED_OFFSET_0 = TWO_53 - 100n
const FETCHED_OFFSET_1 = 2n ** 62n

async function mixedFetchResponse(): Promise<Buffer> {
  const nearTwo53 = await recordBatch({
    firstOffset: TWO_53 - 150n,
    firstTimestamp: 1_764_000_000_000n,
    count: 300,
    deltas: TIMESTAMP_DELTAS,
  })
  const noTimestamp = await recordBatch({
    firstOffset: TWO_53 + 150n,
    firstTimestamp: -1n,
    count: 40,
  })
  const logAppendTime = await recordBatch({
    firstOffset: TWO_53 + 190n,
    firstTimestamp: 1_764_000_000_000n,
    maxTimestamp: 1_764_000_009_999n,
    count: 40,
    deltas: [0n, 5n, 3n],
    flags: LOG_APPEND_TIME_FLAG,
  })
  const cutShort = await recordBatch({ firstOffset: TWO_53 + 230n, firstTimestamp: 1n, count: 30 })
  const farOffsets = await recordBatch({
    firstOffset: 2n ** 62n,
    firstTimestamp: 2n ** 60n + 7n,
    count: 200,
    deltas: TIMESTAMP_DELTAS,
  })
  const control = await recordBatch({
    firstOffset: 2n ** 62n + 200n,
    firstTimestamp: 1_764_000_000_000n,
    count: 1,
    flags: CONTROL_FLAG | TRANSACTIONAL_FLAG,
  })
  const gzipped = await recordBatch({
    firstOffset: 2n ** 62n + 201n,
    firstTimestamp: 1_764_000_000_000n,
    count: 250,
    deltas: TIMESTAMP_DELTAS,
    compression: GZIP,
  })
  return fetchResponse(TOPIC, [
    {
      partition: 0,
      highWatermark: TWO_53 + 260n,
      // The tail batch is cut short, as a fetch that reached its byte limit returns it.
      batches: [nearTwo53, noTimestamp, logAppendTime, cutShort.subarray(0, cutShort.length - 9)],
    },
    { partition: 1, highWatermark: 2n ** 62n + 451n, batches: [farOffsets, control, gzipped] },
  ])
}

/** Everything a consumer reads from a fetch: the decoded response and each partition's batch. */
async function consume(decoding: KafkaDecoding, payload: Buffer) {
  const decoded = await decoding.response.decode(payload)
  const fetchedOffsets = [String(FETCHED_OFFSET_0), String(FETCHED_OFFSET_1)]
  const batches = decoded.responses.flatMap(({ topicName, partitions }) =>
    partitions.map((partition) => {
      const batch = new decoding.Batch(
        topicName,
        fetchedOffsets[partition.partition] as string,
        partition,
      )
      return {
        messages: batch.messages,
        messagesWithinOffset: batch.messagesWithinOffset,
        firstOffset: batch.firstOffset(),
        lastOffset: batch.lastOffset(),
        offsetLag: batch.offsetLag(),
        offsetLagLow: batch.offsetLagLow(),
      }
    }),
  )
  return { decoded, batches }
}

/** The zigzag varlong encoding of a signed 64-bit value, as the Kafka protocol defines it. */
function varLong(value: bigint): number[] {
  let unsigned = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  const bytes: number[] = []
  while (unsigned >= 0x80n) {
    bytes.push(Number(unsigned & 0x7fn) | 0x80)
    unsigned >>= 7n
  }
  bytes.push(Number(unsigned))
  return bytes
}

/** Reads one varlong from `bytes`: its value and the offset after it, or the error's message. */
function readVarLong(decoding: KafkaDecoding, bytes: number[]) {
  const decoder = new decoding.Decoder(Buffer.from(bytes))
  try {
    const value = decoder.readVarLong().value
    return { value, offset: decoder.offset }
  } catch (error) {
    return { error: (error as Error).message, offset: decoder.offset }
  }
}

describe('fixKafkaRecordDecoding', () => {
  let pristine: KafkaDecoding
  let patched: KafkaDecoding

  beforeAll(() => {
    pristine = loadPristineDecoding()
    expect(fixKafkaRecordDecoding()).toBe('fixed')
    patched = requireDecoding()
  })

  it('patches the module instances KafkaJS uses, and not a private copy', () => {
    expect(patched.Decoder.prototype.readVarLong).not.toBe(pristine.Decoder.prototype.readVarLong)
    expect(patched.Long.fromString).not.toBe(pristine.Long.fromString)
  })

  it('decodes a mixed fetch response to exactly what unpatched KafkaJS returns', async () => {
    const payload = await mixedFetchResponse()
    const expected = await consume(pristine, payload)
    const actual = await consume(patched, payload)
    expect(actual).toEqual(expected)

    // The fixture holds what it claims to (so the comparison above is not vacuous).
    type Message = { offset: string; timestamp: string; isControlRecord: boolean }
    const [first, second] = expected.batches as { messagesWithinOffset: Message[] }[]
    const all = [...first!.messagesWithinOffset, ...second!.messagesWithinOffset]
    const offsets = all.map((message) => message.offset)
    const timestamps = all.map((message) => message.timestamp)
    expect(first!.messagesWithinOffset[0]!.offset).toBe(String(FETCHED_OFFSET_0))
    expect(offsets).toContain(String(TWO_53 + 1n))
    expect(offsets).toContain(String(2n ** 62n + 450n))
    expect(offsets).not.toContain(String(TWO_53 + 230n)) // the cut-short batch is dropped
    expect(timestamps).toContain('-1')
    expect(timestamps).toContain('1764000009999')
    expect(timestamps).toContain(String(1_764_000_000_000n + INT64_MIN))
    expect(timestamps).toContain(String(2n ** 60n + 7n + 2n ** 48n))
    expect(all.some((message) => message.isControlRecord)).toBe(true)
    expect(expected.decoded.responses[0]!.partitions[0]!.messages).toHaveLength(300 + 40 + 40)
  })

  it('reads every varlong as KafkaJS does: each length, both signs, the int64 limits', () => {
    const values = [...TIMESTAMP_DELTAS, 2n ** 49n, -(2n ** 49n), TWO_53, -TWO_53]
    let seed = 12_345n
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % 2n ** 64n
      values.push(BigInt.asIntN(64, seed >> BigInt(i % 64)))
    }
    for (const value of values) {
      const read = readVarLong(patched, varLong(value))
      expect(read).toEqual(readVarLong(pristine, varLong(value)))
      expect(read).toEqual({ value, offset: varLong(value).length })
    }
  })

  it('reads varlongs cut short or too long as KafkaJS does', () => {
    const malformed = [[], [0x80], [0xff, 0xff, 0xff], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]]
    malformed.push(new Array<number>(11).fill(0x80))
    for (const bytes of malformed) {
      expect(readVarLong(patched, bytes)).toEqual(readVarLong(pristine, bytes))
    }
    expect(readVarLong(patched, new Array<number>(11).fill(0x80))).toMatchObject({
      error: expect.stringContaining('Invalid Long') as unknown,
    })
  })

  it('parses strings as KafkaJS does, remembered or not, and still rejects bad ones', () => {
    const texts = ['0', '-1', '9007199254740993', '9223372036854775807', 'NaN', '42', '43', '0x10']
    for (const text of [...texts, ...texts.reverse()]) {
      expect(patched.Long.fromValue(text).value).toBe(pristine.Long.fromValue(text).value)
    }
    for (const text of ['', '1.5', 'abc']) {
      expect(() => patched.Long.fromValue(text)).toThrow()
      expect(() => patched.Long.fromValue(text)).toThrow()
    }
  })

  it('leaves another KafkaJS release as it is', () => {
    const other = loadPristineDecoding()
    const readVarLongBefore = other.Decoder.prototype.readVarLong
    const fromStringBefore = other.Long.fromString
    const outcome = applyRecordDecodingFix({
      version: '2.2.5',
      Decoder: other.Decoder,
      Long: other.Long,
    })
    expect(outcome).toBe('not needed')
    expect(other.Decoder.prototype.readVarLong).toBe(readVarLongBefore)
    expect(other.Long.fromString).toBe(fromStringBefore)
  })
})
