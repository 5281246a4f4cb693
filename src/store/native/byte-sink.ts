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

  /** A Native `String` value: VarUInt byte length, then the UTF-8 bytes. */
  string(value: string): void {
    if (isAscii(value)) this.asciiString(value)
    else this.utf8String(value)
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
}

/** Short strings are scanned; long ones go through the native encoder anyway. */
const ASCII_SCAN_LIMIT = 256

function isAscii(value: string): boolean {
  if (value.length > ASCII_SCAN_LIMIT) return false
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false
  return true
}
