import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The KafkaJS release whose record decoding this speeds up; any other is left as it is. */
const FIXED_VERSION = '2.2.4'
/**
 * A varlong of at most 7 bytes carries at most 49 bits: its value and every partial sum fit
 * a double exactly (below 2^53), so Number arithmetic gives the same integer as BigInt.
 */
const MAX_NUMBER_VARLONG_BYTES = 7
/** How many recently parsed strings `Long.fromString` remembers (see `memoizeFromString`). */
const REMEMBERED_STRINGS = 2

/** KafkaJS's `utils/long`: an immutable wrapper of a BigInt (only its constructor sets `value`). */
export interface KafkaLongClass {
  new (value: bigint): KafkaLong
  fromString: (text: string) => KafkaLong
}

/** A KafkaJS `Long`. */
export interface KafkaLong {
  readonly value: bigint
}

/** KafkaJS's `protocol/decoder` as far as the fix touches it. */
export interface KafkaDecoderClass {
  prototype: KafkaDecoder
}

/** A KafkaJS `Decoder`: a buffer and the offset of the next byte to read. */
export interface KafkaDecoder {
  buffer: Buffer
  offset: number
  readVarLong: () => KafkaLong
}

/** The module instances a fix is applied to, with the release they belong to. */
export interface KafkaDecodingModules {
  readonly version: string
  readonly Decoder: KafkaDecoderClass
  readonly Long: KafkaLongClass
}

let outcome: 'fixed' | 'not needed' | undefined

/**
 * Takes CPU out of KafkaJS 2.2.4's record decoding without changing one value it returns.
 *
 * For every record KafkaJS's record decoder (`protocol/recordBatch/record/v0/decoder.js`) reads
 * the timestamp delta with `Decoder#readVarLong`, which builds the varlong from a BigInt `Long`
 * per byte and zigzag-decodes it with five more (about ten BigInt objects for a 1-byte delta),
 * then parses the batch's first timestamp and first offset from their decimal strings with
 * `Long.fromValue` (a `BigInt(string)` parse each, the same two strings for every record of a
 * batch). In a profile of the worker in full flow these (`Long.fromString`, `readVarLong` and
 * the `Long` arithmetic under it) were the largest KafkaJS items of the main thread after GC and
 * the one copy of each fetch response; decoding Fetch responses of `json` events through
 * KafkaJS's decoder and `Batch` took about 30% less CPU with this fix. The record decoder
 * captured its imports at load, so it cannot be replaced; the two shared pieces it calls can:
 *
 * - `Decoder#readVarLong` reads varlongs of up to 7 bytes (|value| < 2^48; timestamp deltas are
 *   milliseconds within one batch) with Number arithmetic, exact below 2^53, and returns the
 *   same `Long`. Zigzag: an even `u` is `u / 2`, an odd one `-(u + 1) / 2`, as
 *   `(u >> 1) ^ -(u & 1)`. Anything longer, or a buffer that ends inside the varlong, is left to
 *   KafkaJS's own method from the unchanged offset.
 * - `Long.fromString` returns the `Long` it returned for the same string among the last two
 *   it parsed. `fromString` is a pure function of its string and a `Long` is never modified
 *   after construction, so handing out the same object is indistinguishable from a new one;
 *   strings it rejects are not remembered and throw as before. Other callers (`Batch` parses
 *   each record's own offset) only pay two string comparisons for a miss.
 *
 * Offsets and timestamps beyond 2^53 still go through BigInt (only the delta is a Number), and
 * nothing above the record decoder (`Batch`, its offset filter, compression) changes. Applied
 * once per process, to the module instances KafkaJS itself loads, only to the release it was
 * written for.
 */
export function fixKafkaRecordDecoding(): 'fixed' | 'not needed' {
  if (outcome !== undefined) return outcome
  return (outcome = applyRecordDecodingFix({
    version: (require('kafkajs/package.json') as { version: string }).version,
    Decoder: require('kafkajs/src/protocol/decoder.js') as KafkaDecoderClass,
    Long: require('kafkajs/src/utils/long.js') as KafkaLongClass,
  }))
}

/** Applies the fix to the given module instances when they are from the release it fits. */
export function applyRecordDecodingFix(modules: KafkaDecodingModules): 'fixed' | 'not needed' {
  if (modules.version !== FIXED_VERSION) return 'not needed'
  readShortVarLongsAsNumbers(modules.Decoder, modules.Long)
  memoizeFromString(modules.Long)
  return 'fixed'
}

function readShortVarLongsAsNumbers(Decoder: KafkaDecoderClass, Long: KafkaLongClass): void {
  const readVarLong = Decoder.prototype.readVarLong
  Decoder.prototype.readVarLong = function (this: KafkaDecoder) {
    const buffer = this.buffer
    let offset = this.offset
    let unsigned = 0
    let weight = 1
    for (let bytes = 0; bytes < MAX_NUMBER_VARLONG_BYTES; bytes++) {
      const byte = buffer[offset++]
      if (byte === undefined) break
      unsigned += (byte & 0x7f) * weight
      if (byte < 0x80) {
        this.offset = offset
        return new Long(BigInt(unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2))
      }
      weight *= 0x80
    }
    return readVarLong.call(this)
  }
}

function memoizeFromString(Long: KafkaLongClass): void {
  const fromString = Long.fromString
  const texts: (string | undefined)[] = new Array<string | undefined>(REMEMBERED_STRINGS)
  const longs: KafkaLong[] = []
  let next = 0
  Long.fromString = function (this: KafkaLongClass, text: string) {
    for (let i = 0; i < REMEMBERED_STRINGS; i++) {
      if (texts[i] === text) return longs[i] as KafkaLong
    }
    const long = fromString.call(this, text)
    texts[next] = text
    longs[next] = long
    next = (next + 1) % REMEMBERED_STRINGS
    return long
  }
}
