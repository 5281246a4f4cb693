import { parseRfc3339Bytes, type EpochTime } from '../../../model/parse-rfc3339.ts'
import type { EventLimits } from '../../../model/to-event-row.ts'
import { MAX_START_NS } from '../../../model/span-rules.ts'

/** The first second release events may not reach (2100-01-01), as `toEventRow` reads it. */
const EVENTS_END_SECONDS = Number(MAX_START_NS / 1_000_000_000n)

/**
 * Where the fields of one release event lie in its message, as {@link scanJsonEvent} found
 * them: strings as byte ranges of `source` (their JSON text, which holds no escapes), so that
 * the events chunk interns them without making JavaScript strings. Reused from message to
 * message.
 */
export class ScannedEvent {
  source: Uint8Array = new Uint8Array()
  /** The timestamp: whole seconds since the epoch, and nanoseconds. */
  readonly time: EpochTime = { seconds: 0, nanos: 0 }
  serviceStart = 0
  serviceEnd = 0
  environmentStart = 0
  environmentEnd = 0
  releaseStart = 0
  releaseEnd = 0
  nameStart = 0
  nameEnd = 0
  value: number | null = null
  outcome: '' | 'success' | 'failure' = ''
  readonly flags = new ScannedMap()
  readonly attributes = new ScannedMap()

  reset(source: Uint8Array): void {
    this.source = source
    this.environmentStart = this.environmentEnd = 0
    this.releaseStart = this.releaseEnd = 0
    this.value = null
    this.outcome = ''
    this.flags.clear()
    this.attributes.clear()
  }
}

/**
 * The entries of a flat JSON object: keys, string values and `true`/`false` as byte ranges,
 * numbers as the text JavaScript gives them (`String(1.50)` is `1.5`), as `toEventRow` stores
 * them.
 */
export class ScannedMap {
  /** Per entry: key start, key end, value start, value end (-1 when the value is in `texts`). */
  readonly bounds: number[] = []
  readonly texts: string[] = []
  entries = 0

  clear(): void {
    this.entries = 0
  }

  push(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, text: string) {
    const at = this.entries * 4
    this.bounds[at] = keyStart
    this.bounds[at + 1] = keyEnd
    this.bounds[at + 2] = valueStart
    this.bounds[at + 3] = valueEnd
    this.texts[this.entries] = text
    this.entries++
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
const DOT = 0x2e
const PLUS = 0x2b

/** The fields of a release event (docs/kafka-json-events.md) the scanner reads, by key. */
const FIELDS = [
  'schemaVersion',
  'timestamp',
  'service',
  'environment',
  'release',
  'flags',
  'name',
  'value',
  'outcome',
  'attributes',
] as const
const FIELD_BYTES = FIELDS.map((field) => asciiBytes(field))
const SCHEMA_VERSION = 0
const TIMESTAMP = 1
const SERVICE = 2
const ENVIRONMENT = 3
const RELEASE = 4
const FLAGS = 5
const NAME = 6
const VALUE = 7
const OUTCOME = 8
const ATTRIBUTES = 9

/**
 * Reads a `json` message `bytes[start, end)` that is a valid release event of the plain shape
 * producers write (ASCII text without escapes, only the documented fields, each once, flat maps
 * whose keys do not start with a digit), straight from its bytes into `into`: no JSON.parse, no
 * objects per event. `bytes` may hold a whole fetch's values, one after the other: the ranges
 * read into `into` are then ranges of it. Returns false for anything else, valid or not, having
 * decided nothing: the message is then read by `JSON.parse` and `toEventRow`, which give the
 * answer (a row or the reason it is refused). So for every message it accepts, the row is the
 * one `toEventRow` makes; the tests hold the two to that on generated and mutated messages.
 */
export function scanJsonEvent(
  bytes: Buffer,
  start: number,
  end: number,
  limits: EventLimits,
  into: ScannedEvent,
): boolean {
  into.reset(bytes)
  let at = skipSpace(bytes, start, end)
  if (byteAt(bytes, at, end) !== OPEN_BRACE) return false
  at = skipSpace(bytes, at + 1, end)
  let seen = 0
  let value: number | null | undefined
  for (;;) {
    if (byteAt(bytes, at, end) !== QUOTE) return false
    const field = fieldAt(bytes, at + 1, end)
    if (field < 0 || (seen & (1 << field)) !== 0) return false
    seen |= 1 << field
    const keyEnd = at + 1 + FIELD_BYTES[field]!.length
    at = skipSpace(bytes, keyEnd + 1, end)
    if (byteAt(bytes, at, end) !== COLON) return false
    at = skipSpace(bytes, at + 1, end)
    if (field === SCHEMA_VERSION) {
      // Exactly `1`; `1.0` and `1e0` mean it too, and are left to JSON.parse.
      if (byteAt(bytes, at, end) !== ZERO + 1) return false
      at++
    } else if (field === FLAGS || field === ATTRIBUTES) {
      if (isNull(bytes, at, end)) at += 4
      else {
        at = scanMap(bytes, at, end, limits, field === FLAGS ? into.flags : into.attributes)
        if (at < 0) return false
      }
    } else if (field === VALUE) {
      if (isNull(bytes, at, end)) {
        value = null
        at += 4
      } else {
        const numberEnd = numberEndAt(bytes, at, end)
        if (numberEnd < 0) return false
        value = numberOf(bytes, at, numberEnd)
        if (!Number.isFinite(value)) return false
        at = numberEnd
      }
    } else if (isNull(bytes, at, end)) {
      // Only the optional strings may be null.
      if (field !== ENVIRONMENT && field !== RELEASE && field !== OUTCOME) return false
      at += 4
    } else {
      if (byteAt(bytes, at, end) !== QUOTE) return false
      const stringEnd = plainStringEnd(bytes, at + 1, end)
      if (stringEnd < 0) return false
      if (!readString(bytes, field, at + 1, stringEnd, into)) return false
      at = stringEnd + 1
    }
    at = skipSpace(bytes, at, end)
    if (byteAt(bytes, at, end) === COMMA) {
      at = skipSpace(bytes, at + 1, end)
      continue
    }
    if (byteAt(bytes, at, end) !== CLOSE_BRACE) return false
    at = skipSpace(bytes, at + 1, end)
    break
  }
  if (at !== end) return false
  const required = (1 << SCHEMA_VERSION) | (1 << TIMESTAMP) | (1 << SERVICE) | (1 << NAME)
  if ((seen & required) !== required) return false
  into.value = value ?? null
  return into.value !== null || into.outcome !== ''
}

/** Reads a string field's text `bytes[start, end)` into `into`; false when it is not valid there. */
function readString(
  bytes: Buffer,
  field: number,
  start: number,
  end: number,
  into: ScannedEvent,
): boolean {
  switch (field) {
    case TIMESTAMP:
      // From 1970 to before 2100, as `toEventRow` takes them.
      return (
        parseRfc3339Bytes(bytes, start, end, into.time) &&
        into.time.seconds >= 0 &&
        into.time.seconds < EVENTS_END_SECONDS
      )
    case SERVICE:
      into.serviceStart = start
      into.serviceEnd = end
      return end > start
    case NAME:
      into.nameStart = start
      into.nameEnd = end
      return end > start
    case ENVIRONMENT:
      into.environmentStart = start
      into.environmentEnd = end
      return true
    case RELEASE:
      into.releaseStart = start
      into.releaseEnd = end
      return true
    case OUTCOME:
      if (end - start === SUCCESS.length && isLiteral(bytes, start, end, SUCCESS)) {
        into.outcome = 'success'
      } else if (end - start === FAILURE.length && isLiteral(bytes, start, end, FAILURE)) {
        into.outcome = 'failure'
      } else {
        return false
      }
      return true
    default:
      return false
  }
}

/**
 * Reads a flat object of scalars at `at` (before `end`) into `map`; its end, or -1 when it is
 * not one.
 */
function scanMap(
  bytes: Buffer,
  at: number,
  end: number,
  limits: EventLimits,
  map: ScannedMap,
): number {
  if (byteAt(bytes, at, end) !== OPEN_BRACE) return -1
  at = skipSpace(bytes, at + 1, end)
  if (byteAt(bytes, at, end) === CLOSE_BRACE) return at + 1
  for (;;) {
    if (byteAt(bytes, at, end) !== QUOTE) return -1
    const keyStart = at + 1
    const keyEnd = plainStringEnd(bytes, keyStart, end)
    // Integer-like keys come first in a JavaScript object, whatever their place in the text,
    // and `__proto__` is a setter on an ordinary one: both are left to JSON.parse and
    // `toEventRow`, which read them right.
    if (keyEnd < 0 || isDigitAt(bytes, keyStart, end) || isProto(bytes, keyStart, keyEnd)) {
      return -1
    }
    at = skipSpace(bytes, keyEnd + 1, end)
    if (byteAt(bytes, at, end) !== COLON) return -1
    at = skipSpace(bytes, at + 1, end)
    const byte = byteAt(bytes, at, end)
    if (byte === QUOTE) {
      const stringEnd = plainStringEnd(bytes, at + 1, end)
      if (stringEnd < 0) return -1
      map.push(keyStart, keyEnd, at + 1, stringEnd, '')
      at = stringEnd + 1
    } else if (isLiteral(bytes, at, end, TRUE)) {
      map.push(keyStart, keyEnd, at, at + 4, '')
      at += 4
    } else if (isLiteral(bytes, at, end, FALSE)) {
      map.push(keyStart, keyEnd, at, at + 5, '')
      at += 5
    } else {
      const numberEnd = numberEndAt(bytes, at, end)
      if (numberEnd < 0) return -1
      map.push(keyStart, keyEnd, -1, -1, String(numberOf(bytes, at, numberEnd)))
      at = numberEnd
    }
    if (map.entries > limits.maxAttributes) return -1
    at = skipSpace(bytes, at, end)
    if (byteAt(bytes, at, end) === COMMA) {
      at = skipSpace(bytes, at + 1, end)
      continue
    }
    return byteAt(bytes, at, end) === CLOSE_BRACE ? at + 1 : -1
  }
}

/**
 * The index of the quote ending a string whose text starts at `start`, or -1 when it holds an
 * escape, a control character or a non-ASCII byte (left to JSON.parse), or does not end
 * before `end`.
 */
function plainStringEnd(bytes: Buffer, start: number, end: number): number {
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!
    if (byte === QUOTE) return at
    if (byte === BACKSLASH || byte < 0x20 || byte >= 0x80) return -1
  }
  return -1
}

/** The end of the JSON number at `at` (RFC 8259 section 6), or -1 when there is none. */
function numberEndAt(bytes: Buffer, at: number, end: number): number {
  if (byteAt(bytes, at, end) === MINUS) at++
  if (byteAt(bytes, at, end) === ZERO) at++
  else if (isDigitAt(bytes, at, end)) while (isDigitAt(bytes, at, end)) at++
  else return -1
  if (byteAt(bytes, at, end) === DOT) {
    at++
    if (!isDigitAt(bytes, at, end)) return -1
    while (isDigitAt(bytes, at, end)) at++
  }
  const exponent = byteAt(bytes, at, end)
  if (exponent === 0x65 || exponent === 0x45) {
    at++
    const sign = byteAt(bytes, at, end)
    if (sign === PLUS || sign === MINUS) at++
    if (!isDigitAt(bytes, at, end)) return -1
    while (isDigitAt(bytes, at, end)) at++
  }
  return at
}

/**
 * The field whose key's text starts at `start` (its name, then the closing quote, before
 * `end`), or -1 for any other key: the key is read once, as it is compared with the name.
 */
function fieldAt(bytes: Buffer, start: number, end: number): number {
  if (start + 2 >= end) return -1
  const field = FIELD_BY_FIRST_BYTES[(bytes[start]! << 8) | bytes[start + 1]!]!
  if (field < 0) return -1
  const name = FIELD_BYTES[field]!
  const length = name.length
  if (start + length >= end) return -1
  for (let i = 2; i < length; i++) if (bytes[start + i] !== name[i]) return -1
  return bytes[start + length] === QUOTE ? field : -1
}

/** The one field a key's first two bytes can name (they tell the ten apart), or -1. */
const FIELD_BY_FIRST_BYTES = new Int8Array(1 << 16).fill(-1)
FIELDS.forEach((field, index) => {
  FIELD_BY_FIRST_BYTES[(field.charCodeAt(0) << 8) | field.charCodeAt(1)] = index
})

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(bytes: Uint8Array, at: number, end: number): number {
  while (at < end) {
    const byte = bytes[at]!
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return at
    at++
  }
  return at
}

const TRUE = asciiBytes('true')
const FALSE = asciiBytes('false')
const NULL = asciiBytes('null')
const PROTO = asciiBytes('__proto__')
const SUCCESS = asciiBytes('success')
const FAILURE = asciiBytes('failure')

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0))
}

/**
 * The JSON number `bytes[start, end)`. Integers of up to 15 digits are summed digit by digit
 * (exact: below 2^53); anything else is read by `Number`, as JSON.parse reads it.
 */
function numberOf(bytes: Buffer, start: number, end: number): number {
  const negative = bytes[start] === MINUS
  const first = negative ? start + 1 : start
  if (end - first <= 15) {
    let value = 0
    let at = first
    for (; at < end; at++) {
      const digit = bytes[at]! - ZERO
      if (digit < 0 || digit > 9) break
      value = value * 10 + digit
    }
    if (at === end) return negative ? -value : value
  }
  return Number(latin1(bytes, start, end))
}

function isLiteral(bytes: Uint8Array, at: number, end: number, literal: Uint8Array): boolean {
  if (at + literal.length > end) return false
  for (let i = 0; i < literal.length; i++) if (bytes[at + i] !== literal[i]) return false
  return true
}

function isNull(bytes: Uint8Array, at: number, end: number): boolean {
  return isLiteral(bytes, at, end, NULL)
}

function isProto(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === PROTO.length && isLiteral(bytes, start, end, PROTO)
}

function isDigitAt(bytes: Uint8Array, at: number, end: number): boolean {
  const byte = byteAt(bytes, at, end)
  return byte >= ZERO && byte <= NINE
}

/**
 * The byte at `at`, or -1 at or past the message's `end`. Every read of the scanner goes
 * through here or a bounds check: a typed array read out of bounds slows down every read of
 * the function.
 */
function byteAt(bytes: Uint8Array, at: number, end: number): number {
  return at < end ? bytes[at]! : -1
}

/** ASCII bytes as a string (the scanner only calls it on ASCII). */
function latin1(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end)
}
