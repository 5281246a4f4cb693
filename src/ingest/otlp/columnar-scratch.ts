import { anyValueToString } from '../../model/any-value-to-string.ts'
import type { StringColumn } from '../../store/native/native-columns.ts'
import { decodeAnyValue } from './protobuf-any-value.ts'
import { fieldTag, isAscii, WIRE_TYPE, type ProtobufReader } from './protobuf-reader.ts'

/**
 * The scratch state the columnar protobuf decoders (`decode-traces-columnar.ts`,
 * `decode-logs-columnar.ts`) keep for the item being decoded: strings as ranges of the
 * request buffer, so that no JavaScript string is made per value.
 */

const { varint, fixed64, lengthDelimited } = WIRE_TYPE
const KEY_VALUE = { key: fieldTag(1, lengthDelimited), value: fieldTag(2, lengthDelimited) }
const ANY_VALUE = {
  string: fieldTag(1, lengthDelimited),
  bool: fieldTag(2, varint),
  int: fieldTag(3, varint),
  double: fieldTag(4, fixed64),
  array: fieldTag(5, lengthDelimited),
  kvlist: fieldTag(6, lengthDelimited),
  bytes: fieldTag(7, lengthDelimited),
}

/** A string value: a range of the request buffer, or a JavaScript string when not a string. */
export class Values {
  start: Int32Array<ArrayBuffer> = new Int32Array(64)
  end: Int32Array<ArrayBuffer> = new Int32Array(64)
  texts: (string | undefined)[] = []

  grow(size: number): void {
    if (size <= this.start.length) return
    const start = new Int32Array(size * 2)
    const end = new Int32Array(size * 2)
    start.set(this.start)
    end.set(this.end)
    this.start = start
    this.end = end
  }

  setRange(i: number, start: number, end: number): void {
    this.start[i] = start
    this.end[i] = end
  }

  setText(i: number, text: string): void {
    this.start[i] = -1
    this.texts[i] = text
  }

  isEmpty(i: number): boolean {
    return this.start[i]! < 0 ? this.texts[i] === '' : this.start[i] === this.end[i]
  }
}

/** Attributes of the item being decoded: key ranges and values. */
export class Attributes {
  count = 0
  keyStart: Int32Array<ArrayBuffer> = new Int32Array(64)
  keyEnd: Int32Array<ArrayBuffer> = new Int32Array(64)
  readonly values = new Values()
  /** Each key's index in the chunk's attribute key dictionary. */
  positions = new Uint32Array(64)

  add(): number {
    const i = this.count++
    if (this.count > this.keyStart.length) {
      const size = this.count * 2
      this.keyStart = growInt32(this.keyStart, size)
      this.keyEnd = growInt32(this.keyEnd, size)
      const positions = new Uint32Array(size)
      positions.set(this.positions)
      this.positions = positions
      this.values.grow(size)
    }
    return i
  }
}

/** A KeyValue into `into`: its key range and its value as a range or a string. */
export function readKeyValue(r: ProtobufReader, end: number, into: Attributes): void {
  const i = into.add()
  if (readAsciiStringKeyValue(r, end, into, i)) return
  into.keyStart[i] = into.keyEnd[i] = 0
  // No value is '': the empty range.
  into.values.setRange(i, 0, 0)
  while (r.pos < end) {
    const tag = r.tag(end, 'KeyValue')
    if (tag === KEY_VALUE.key) {
      into.keyStart[i] = r.utf8Range(end)
      into.keyEnd[i] = r.pos
    } else if (tag === KEY_VALUE.value) readAnyValue(r, r.lengthDelimited(end), into.values, i)
    else r.skip(tag, end)
  }
}

/**
 * The common case of a KeyValue, read without walking its fields one by one: exactly a key and a
 * string value, each shorter than 128 bytes and ASCII, in field order, as every OpenTelemetry SDK
 * writes them:
 * `0x0a <key length> <key> 0x12 <value length + 2> 0x0a <value length> <value>`.
 * Anything else (and any byte out of place) is left to the field-by-field reading.
 */
function readAsciiStringKeyValue(
  r: ProtobufReader,
  end: number,
  into: Attributes,
  i: number,
): boolean {
  const bytes = r.bytes
  const keyStart = r.pos + 2
  if (bytes[r.pos] !== KEY_VALUE.key || bytes[keyStart - 1]! >= 0x80) return false
  const keyEnd = keyStart + bytes[keyStart - 1]!
  const valueStart = keyEnd + 4
  if (
    valueStart > end ||
    bytes[keyEnd] !== KEY_VALUE.value ||
    bytes[keyEnd + 1]! >= 0x80 ||
    keyEnd + 2 + bytes[keyEnd + 1]! !== end ||
    bytes[keyEnd + 2] !== ANY_VALUE.string ||
    bytes[keyEnd + 3]! >= 0x80 ||
    valueStart + bytes[keyEnd + 3]! !== end ||
    !isAscii(bytes, keyStart, keyEnd) ||
    !isAscii(bytes, valueStart, end)
  ) {
    return false
  }
  into.keyStart[i] = keyStart
  into.keyEnd[i] = keyEnd
  into.values.setRange(i, valueStart, end)
  r.pos = end
  return true
}

/**
 * An AnyValue as the mapping stores it (`anyValueToString`): a string stays a range of the
 * buffer; other cases become text. A oneof seen twice keeps the last case; none set is ''.
 */
export function readAnyValue(r: ProtobufReader, end: number, values: Values, i: number): void {
  const start = r.pos
  values.setRange(i, 0, 0)
  while (r.pos < end) {
    const tag = r.tag(end, 'AnyValue')
    switch (tag) {
      case ANY_VALUE.string: {
        const from = r.utf8Range(end)
        values.setRange(i, from, r.pos)
        break
      }
      case ANY_VALUE.bool:
        values.setText(i, r.bool(end) ? 'true' : 'false')
        break
      case ANY_VALUE.int:
        values.setText(i, r.int64String(end))
        break
      case ANY_VALUE.double:
        values.setText(i, String(r.double(end)))
        break
      case ANY_VALUE.array:
      case ANY_VALUE.kvlist:
      case ANY_VALUE.bytes:
        // Rare and nested: decoded as objects, from the start so the last case still wins.
        r.pos = start
        values.setText(i, anyValueToString(decodeAnyValue(r, end, 0)))
        return
      default:
        r.skip(tag, end)
    }
  }
}

export function copyValue(from: Values, i: number, to: Values, j: number): void {
  const start = from.start[i]!
  if (start < 0) to.setText(j, from.texts[i]!)
  else to.setRange(j, start, from.end[i]!)
}

export function writeValue(
  column: StringColumn,
  values: Values,
  i: number,
  bytes: Uint8Array,
): void {
  const start = values.start[i]!
  if (start < 0) column.string(values.texts[i]!)
  else column.copy(bytes, start, values.end[i]!)
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

/** Whether `bytes[start, end)` spells `name`. */
export function rangeEquals(bytes: Uint8Array, start: number, end: number, name: Uint8Array) {
  if (end - start !== name.length) return false
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false
  return true
}

export function growInt32(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size)
  grown.set(array)
  return grown
}

export function growUint8(array: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(size)
  grown.set(array)
  return grown
}
