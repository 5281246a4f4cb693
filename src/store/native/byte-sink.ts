const INITIAL_BYTES = 4096

/**
 * A growable little-endian byte buffer: the one place the Native encoder writes bytes. Strings
 * known to be ASCII are copied a character at a time, which for the short strings of telemetry
 * (attribute keys, routes, versions) is several times faster than a native `utf8Write` call.
 */
export class ByteSink {
  private buffer: Uint8Array
  private view: DataView
  length = 0

  constructor(initialBytes = INITIAL_BYTES) {
    this.buffer = new Uint8Array(initialBytes)
    this.view = new DataView(this.buffer.buffer)
  }

  /** Empties the sink, keeping its buffer for the next values (views of it become stale). */
  reset(): void {
    this.length = 0
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    const needed = this.length + bytes
    if (needed <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < needed) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
    this.view = new DataView(grown.buffer)
  }

  uint8(value: number): void {
    this.reserve(1)
    this.buffer[this.length++] = value
  }

  uint16(value: number): void {
    this.reserve(2)
    this.view.setUint16(this.length, value, true)
    this.length += 2
  }

  uint32(value: number): void {
    this.reserve(4)
    this.view.setUint32(this.length, value, true)
    this.length += 4
  }

  /** A 64-bit unsigned (or two's-complement signed) integer given as its high and low words. */
  uint64(high: number, low: number): void {
    this.reserve(8)
    this.view.setUint32(this.length, low, true)
    this.view.setUint32(this.length + 4, high, true)
    this.length += 8
  }

  /** A value in [-2^63, 2^64) as 64 bits, two's complement: UInt64 or Int64 alike. */
  bigint64(value: bigint): void {
    this.reserve(8)
    if (value < 0n) this.view.setBigInt64(this.length, value, true)
    else this.view.setBigUint64(this.length, value, true)
    this.length += 8
  }

  /** A Float64 (IEEE 754 double), little-endian. */
  float64(value: number): void {
    this.reserve(8)
    this.view.setFloat64(this.length, value, true)
    this.length += 8
  }

  /** A non-negative integer below 2^53 as UInt64. */
  uint64Number(value: number): void {
    this.uint64(Math.floor(value / 0x1_0000_0000), value >>> 0)
  }

  /** ClickHouse's VarUInt (LEB128) for a non-negative integer below 2^53. */
  varUInt(value: number): void {
    this.reserve(8)
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.buffer[this.length++] = value
  }

  bytes(source: Uint8Array): void {
    this.reserve(source.length)
    this.buffer.set(source, this.length)
    this.length += source.length
  }

  /**
   * A Native `String` value: VarUInt byte length, then the UTF-8 bytes. Short strings are
   * copied as ASCII in one pass that falls back to the UTF-8 encoder at the first character
   * past U+007F.
   */
  string(value: string): void {
    const length = value.length
    if (length >= ASCII_COPY_LIMIT) {
      this.utf8String(value)
      return
    }
    this.reserve(length + 1)
    const buffer = this.buffer
    const start = this.length
    buffer[start] = length
    let at = start + 1
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i)
      if (code > 0x7f) {
        this.length = start
        this.utf8String(value)
        return
      }
      buffer[at++] = code
    }
    this.length = at
  }

  /** A Native `String` value of the bytes `source[start, end)`. */
  lengthPrefixed(source: Uint8Array, start: number, end: number): void {
    const length = end - start
    this.reserve(length + 8)
    const buffer = this.buffer
    let at = this.length
    // A length below 0x80 is its own one-byte VarUInt.
    if (length < 0x80) buffer[at++] = length
    else {
      this.varUInt(length)
      at = this.length
    }
    // Short values (most of telemetry) copy faster by hand than through a subarray.
    if (length < SHORT_COPY) for (let i = start; i < end; i++) buffer[at++] = source[i]!
    else {
      buffer.set(source.subarray(start, end), at)
      at += length
    }
    this.length = at
  }

  /** A Native `String` value: the bytes `source[start, end)` in lower-case hex. */
  hex(source: Uint8Array, start: number, end: number): void {
    const length = (end - start) * 2
    this.reserve(length + 8)
    this.varUInt(length)
    const view = this.view
    let at = this.length
    for (let i = start; i < end; i++, at += 2) view.setUint16(at, HEX_PAIRS[source[i]!]!, true)
    this.length = at
  }

  /** `translation[indexes[i]]` for every i, as unsigned integers of `width` bytes. */
  indexes(indexes: Uint32Array, translation: Uint32Array, width: 1 | 2 | 4): void {
    const count = indexes.length
    this.reserve(count * width)
    let at = this.length
    if (width === 1) {
      const buffer = this.buffer
      for (let i = 0; i < count; i++) buffer[at++] = translation[indexes[i]!]!
    } else {
      const view = this.view
      for (let i = 0; i < count; i++) {
        const value = translation[indexes[i]!]!
        if (width === 2) view.setUint16(at, value, true)
        else view.setUint32(at, value, true)
        at += width
      }
    }
    this.length = at
  }

  /** {@link string} for a value the caller knows holds only characters below U+0080. */
  asciiString(value: string): void {
    const length = value.length
    this.reserve(length + 8)
    this.varUInt(length)
    const buffer = this.buffer
    let at = this.length
    for (let i = 0; i < length; i++) buffer[at++] = value.charCodeAt(i)
    this.length = at
  }

  private utf8String(value: string): void {
    const encoded = Buffer.from(value, 'utf8')
    this.varUInt(encoded.length)
    this.bytes(encoded)
  }

  /** The bytes written so far (a view: copy it before writing more). */
  view8(): Uint8Array {
    return this.buffer.subarray(0, this.length)
  }

  /** The bytes written so far, in a buffer of their own. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }

  /**
   * The bytes written, once writing is over: the buffer itself when little of it is unused
   * (no copy), else a copy that lets the larger buffer go.
   */
  finish(): Uint8Array {
    return this.length * 4 >= this.buffer.length * 3 ? this.view8() : this.toBytes()
  }
}

/** Byte ranges shorter than this are copied in a loop rather than with `set`. */
const SHORT_COPY = 64

/** Per byte, its two lower-case hex digits as a little-endian 16-bit word (first digit low). */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const [high, low] = byte.toString(16).padStart(2, '0')
  return high!.charCodeAt(0) | (low!.charCodeAt(0) << 8)
})

/**
 * Strings shorter than this are copied a character at a time (their length fits the one-byte
 * VarUInt written first); longer ones go through the native UTF-8 encoder.
 */
const ASCII_COPY_LIMIT = 0x80
