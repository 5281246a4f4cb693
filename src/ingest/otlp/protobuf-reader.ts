import { isUtf8 } from 'node:buffer'
import { RhError } from '../../errors.ts'

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure). */
export const WIRE_TYPE = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const

/** The tag of field `fieldNumber` with `wireType`, as it appears on the wire. */
export function fieldTag(fieldNumber: number, wireType: number): number {
  return (fieldNumber << 3) | wireType
}

/** Strings read one by one before the whole buffer is made one-byte text to slice them from. */
const LATIN1_AFTER_STRINGS = 256

/** The longest varint protobuf writes: 64 bits in 7-bit groups. */
const MAX_VARINT_BYTES = 10

const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/**
 * A bounds-checked cursor over one protobuf message buffer.
 *
 * Every read takes `end`, the end of the enclosing message, and never reads past it, so a
 * hostile length can neither run outside the buffer nor make a nested message spill into its
 * parent. Failures throw `RhError('RH_INGEST_UNDECODABLE')` naming the field, the byte offset
 * and the message being decoded, which `tag()` records as the decoder walks the tree.
 */
export class ProtobufReader {
  readonly bytes: Uint8Array
  pos = 0
  private readonly view: DataView
  /**
   * The whole buffer as a one-byte string. ASCII strings (nearly all of OTLP: attribute keys,
   * routes, methods, versions) are sliced out of it, which costs a fraction of a native
   * TextDecoder call per string; the decode call dominated decoding before. V8 may keep
   * slices as views of this string, so it lives as long as the decoded strings do.
   */
  private latin1Text: string | undefined
  private readonly buffer: Buffer
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  /** Where the current field started and what holds it, for error messages only. */
  private fieldStart = 0
  private fieldNumber = 0
  private messageName = ''

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /**
   * An ASCII string at [start, end): sliced from the whole buffer as one-byte text once a
   * decoder has read enough strings to pay for making it, cut out alone before that (the
   * columnar decoder reads only a resource's few strings this way).
   */
  private asciiSlice(start: number, end: number): string {
    if (this.latin1Text === undefined && ++this.stringReads < LATIN1_AFTER_STRINGS) {
      return this.buffer.toString('latin1', start, end)
    }
    return (this.latin1Text ??= this.buffer.toString('latin1')).slice(start, end)
  }

  private stringReads = 0

  /**
   * Reads the next field tag of message `messageName` ending at `end`. The tag is returned
   * whole (field number and wire type) so that decoders can switch on `fieldTag(n, type)`.
   */
  tag(end: number, messageName: string): number {
    this.messageName = messageName
    this.fieldStart = this.pos
    this.fieldNumber = 0
    const tag = this.uint32(end)
    this.fieldNumber = tag >>> 3
    if (this.fieldNumber === 0) throw this.error('field number 0 (not a valid field tag)')
    return tag
  }

  /** Reads a varint and returns its low 32 bits as an unsigned number. */
  uint32(end: number): number {
    const bytes = this.bytes
    let pos = this.pos
    // Most tags and lengths fit one byte.
    const first = bytes[pos]!
    if (first < 0x80 && pos < end) {
      this.pos = pos + 1
      return first
    }
    let result = 0
    for (let shift = 0; shift < 7 * MAX_VARINT_BYTES; shift += 7) {
      if (pos >= end) throw this.truncated('varint')
      const byte = bytes[pos++]!
      // Bits past 32 fall off the shift, which is what a 32-bit read wants.
      if (shift < 32) result |= (byte & 0x7f) << shift
      if (byte < 0x80) {
        this.pos = pos
        return result >>> 0
      }
    }
    throw this.error(`varint longer than ${MAX_VARINT_BYTES} bytes in ${this.fieldLabel()}`)
  }

  /** Reads an `int32`/enum varint: negative values are sign-extended to ten bytes on the wire. */
  int32(end: number): number {
    return this.uint32(end) | 0
  }

  bool(end: number): boolean {
    return this.uint32(end) !== 0
  }

  /** Reads an `int64` varint exactly, as a signed bigint. */
  int64(end: number): bigint {
    const bytes = this.bytes
    let pos = this.pos
    // Up to 7 bytes (49 bits) accumulate exactly in a double, which covers almost every
    // attribute value; only longer varints pay for bigint arithmetic.
    let low = 0
    let scale = 1
    for (let i = 0; i < 7; i++) {
      if (pos >= end) throw this.truncated('varint')
      const byte = bytes[pos++]!
      low += (byte & 0x7f) * scale
      if (byte < 0x80) {
        this.pos = pos
        return BigInt(low)
      }
      scale *= 128
    }
    let value = BigInt(low)
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (pos >= end) throw this.truncated('varint')
      const byte = bytes[pos++]!
      value |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) {
        this.pos = pos
        return BigInt.asIntN(64, value)
      }
    }
    throw this.error(`varint longer than ${MAX_VARINT_BYTES} bytes in ${this.fieldLabel()}`)
  }

  /** The decimal text of an `int64` varint, as `String(int64(end))` but without a bigint when it fits. */
  int64String(end: number): string {
    const bytes = this.bytes
    let pos = this.pos
    let value = 0
    let scale = 1
    for (let i = 0; i < 7; i++) {
      if (pos >= end) throw this.truncated('varint')
      const byte = bytes[pos++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        this.pos = pos
        return String(value)
      }
      scale *= 128
    }
    return String(this.int64(end))
  }

  /** High and low 32-bit words of the last {@link fixed64Words} read. */
  high = 0
  low = 0

  /** Reads an unsigned `fixed64` into {@link high} and {@link low}, without a bigint. */
  fixed64Words(end: number): void {
    const pos = this.need(8, end, 'fixed64')
    this.low = this.view.getUint32(pos, true)
    this.high = this.view.getUint32(pos + 4, true)
  }

  /**
   * Reads a length-delimited string field without decoding it: checks that it is valid UTF-8
   * and returns where it starts; it ends at `pos`.
   */
  utf8Range(end: number): number {
    const stringEnd = this.lengthDelimited(end)
    const start = this.pos
    this.pos = stringEnd
    if (!isAscii(this.bytes, start, stringEnd) && !isUtf8(this.bytes.subarray(start, stringEnd))) {
      throw this.error(`invalid UTF-8 in string ${this.fieldLabel()}`)
    }
    return start
  }

  /** Reads a length-delimited bytes field without copying it: returns where it starts; it ends at `pos`. */
  bytesRange(end: number): number {
    const bytesEnd = this.lengthDelimited(end)
    const start = this.pos
    this.pos = bytesEnd
    return start
  }

  /** The bytes `[start, end)` as a string (for the few fields a decoder needs as text). */
  text(start: number, end: number): string {
    return this.buffer.toString(isAscii(this.bytes, start, end) ? 'latin1' : 'utf8', start, end)
  }

  /** Reads an unsigned `fixed64` (OTLP timestamps) as a bigint. */
  fixed64(end: number): bigint {
    const pos = this.need(8, end, 'fixed64')
    return this.view.getBigUint64(pos, true)
  }

  double(end: number): number {
    const pos = this.need(8, end, 'fixed64')
    return this.view.getFloat64(pos, true)
  }

  /**
   * Reads the length prefix of a length-delimited field and returns where its payload ends,
   * leaving `pos` at the payload's first byte. The length is checked against `end` before
   * anything is allocated for it.
   */
  lengthDelimited(end: number): number {
    const length = this.uint32(end)
    const remaining = end - this.pos
    if (length > remaining) {
      throw this.truncated('length-delimited', `declares ${length} bytes, ${remaining} remain`)
    }
    return this.pos + length
  }

  /** Reads a length-delimited field as strictly valid UTF-8. */
  string(end: number): string {
    const stringEnd = this.lengthDelimited(end)
    const start = this.pos
    this.pos = stringEnd
    if (isAscii(this.bytes, start, stringEnd)) return this.asciiSlice(start, stringEnd)
    try {
      return this.utf8.decode(this.bytes.subarray(start, stringEnd))
    } catch {
      throw this.error(`invalid UTF-8 in string ${this.fieldLabel()}`)
    }
  }

  /** Reads a length-delimited field as raw bytes (a copy, so the request buffer can be freed). */
  bytesField(end: number): Uint8Array {
    const bytesEnd = this.lengthDelimited(end)
    const value = this.bytes.slice(this.pos, bytesEnd)
    this.pos = bytesEnd
    return value
  }

  /** Reads a length-delimited field as lower-case hex (trace and span ids). */
  hex(end: number): string {
    const hexEnd = this.lengthDelimited(end)
    const bytes = this.bytes
    let hex = ''
    for (let pos = this.pos; pos < hexEnd; pos++) hex += HEX_BYTE[bytes[pos]!]!
    this.pos = hexEnd
    return hex
  }

  /** Skips the payload of a field whose tag was just read: unknown fields of any wire type. */
  skip(tag: number, end: number): void {
    const wireType = tag & 7
    switch (wireType) {
      case WIRE_TYPE.varint:
        this.uint32(end)
        return
      case WIRE_TYPE.fixed64:
        this.need(8, end, 'fixed64')
        return
      case WIRE_TYPE.lengthDelimited:
        this.pos = this.lengthDelimited(end)
        return
      case WIRE_TYPE.fixed32:
        this.need(4, end, 'fixed32')
        return
      case WIRE_TYPE.startGroup:
        this.skipGroup(end)
        return
      default:
        throw this.error(
          wireType === WIRE_TYPE.endGroup
            ? `end-group ${this.fieldLabel()} without a start-group`
            : `invalid wire type ${wireType} in ${this.fieldLabel()}`,
        )
    }
  }

  /**
   * An undecodable-input error at the current field, e.g. "protobuf: invalid UTF-8 in
   * string field 5 at byte 37 in Span". `problem` names the field via `fieldLabel()`.
   */
  error(problem: string, detail?: string): RhError {
    const where = `at byte ${this.fieldStart} in ${this.messageName}`
    const message = `protobuf: ${problem} ${where}${detail === undefined ? '' : ` (${detail})`}`
    return new RhError('RH_INGEST_UNDECODABLE', message)
  }

  /** "field 5", or "field tag" while the tag itself is being read. */
  fieldLabel(): string {
    return this.fieldNumber === 0 ? 'field tag' : `field ${this.fieldNumber}`
  }

  /**
   * Skips a (proto2, deprecated) group iteratively: groups nest without a length, and a
   * recursive skip would let a payload of start-group tags exhaust the stack.
   */
  private skipGroup(end: number): void {
    const open = [this.fieldNumber]
    while (open.length > 0) {
      if (this.pos >= end) throw this.truncated('start-group')
      const tag = this.uint32(end)
      const wireType = tag & 7
      if (wireType === WIRE_TYPE.startGroup) open.push(tag >>> 3)
      else if (wireType === WIRE_TYPE.endGroup) {
        if (open.pop() !== tag >>> 3) {
          throw this.error(`end-group of group ${this.fieldLabel()} does not match its start`)
        }
      } else this.skip(tag, end)
    }
  }

  /** Claims `size` bytes at `pos` within `end` and returns where they start. */
  private need(size: number, end: number, wireTypeName: string): number {
    const pos = this.pos
    if (end - pos < size) throw this.truncated(wireTypeName)
    this.pos = pos + size
    return pos
  }

  /** "truncated length-delimited field 1 at byte 37 in ResourceSpans (declares 500 bytes, 12 remain)" */
  private truncated(wireTypeName: string, detail?: string): RhError {
    const what = this.fieldNumber === 0 ? 'field tag' : `${wireTypeName} ${this.fieldLabel()}`
    return this.error(`truncated ${what}`, detail)
  }
}

/** True when every byte in `[start, end)` is below 0x80, i.e. the range is ASCII text. */
export function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  let pos = start
  // Four bytes a step: a set high bit in any of them is non-ASCII.
  for (; pos + 4 <= end; pos += 4) {
    if ((bytes[pos]! | bytes[pos + 1]! | bytes[pos + 2]! | bytes[pos + 3]!) & 0x80) return false
  }
  for (; pos < end; pos++) if (bytes[pos]! >= 0x80) return false
  return true
}
