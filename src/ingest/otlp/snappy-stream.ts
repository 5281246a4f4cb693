/**
 * Snappy bodies as OTLP senders write them (google/snappy `format_description.txt` and
 * `framing_format.txt`). `Content-Encoding: snappy` is the block format in current
 * OpenTelemetry Collectors and the framing format in older ones; a framed stream always
 * starts with its stream identifier chunk, so the two are told apart by their first bytes, as
 * the Collector's own receiver does. `x-snappy-framed` is always the framing format.
 *
 * Every length is checked against `maxBytes` before anything is allocated: a block declares
 * its uncompressed length up front, and a framed chunk holds at most 64 KiB.
 */

/** The stream identifier chunk: type 0xff, length 6, "sNaPpY". */
const STREAM_IDENTIFIER = Uint8Array.of(0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59)
const CHUNK_COMPRESSED = 0x00
const CHUNK_UNCOMPRESSED = 0x01
const CHUNK_PADDING = 0xfe
const CHUNK_STREAM_IDENTIFIER = 0xff
const MAX_CHUNK_DATA_BYTES = 65_536
const CRC_BYTES = 4

export class SnappyProblem extends Error {
  readonly tooLarge: boolean
  constructor(message: string, tooLarge = false) {
    super(message)
    this.tooLarge = tooLarge
  }
}

export function isSnappyFramed(input: Uint8Array): boolean {
  if (input.length < STREAM_IDENTIFIER.length) return false
  for (let i = 0; i < STREAM_IDENTIFIER.length; i++) {
    if (input[i] !== STREAM_IDENTIFIER[i]) return false
  }
  return true
}

/** Block or framed, by the first bytes. */
export function decompressSnappy(input: Uint8Array, maxBytes: number): Uint8Array {
  return isSnappyFramed(input)
    ? decompressSnappyFramed(input, maxBytes)
    : decompressSnappyBlock(input, maxBytes)
}

/**
 * One block: a varint of the uncompressed length, then literals and back-references
 * (`format_description.txt`). Decoded here, strictly: every literal and copy must stay inside
 * the input and the declared length, a copy must reach back into what was written, and the
 * output must come out at exactly the declared length (snappyjs checked none of these, and a
 * typed array drops writes past its end without a word, so garbage "decompressed").
 */
export function decompressSnappyBlock(input: Uint8Array, maxBytes: number): Uint8Array {
  const { length, start } = readLength(input)
  if (length > maxBytes) {
    throw new SnappyProblem(`snappy: the body declares ${length} bytes, past ${maxBytes}`, true)
  }
  const output = new Uint8Array(length)
  let out = 0
  let pos = start
  const invalid = (why: string) => new SnappyProblem(`snappy: not a valid Snappy block (${why})`)
  while (pos < input.length) {
    const tag = input[pos++]!
    const type = tag & 3
    if (type === 0) {
      let size = tag >>> 2
      if (size >= 60) {
        const bytes = size - 59
        if (pos + bytes > input.length) throw invalid('a literal length runs past the end')
        size = 0
        for (let i = 0; i < bytes; i++) size += input[pos + i]! * 2 ** (8 * i)
        pos += bytes
      }
      size += 1
      if (pos + size > input.length) throw invalid('a literal runs past the end of the body')
      if (out + size > length) throw invalid('a literal runs past the declared length')
      output.set(input.subarray(pos, pos + size), out)
      pos += size
      out += size
      continue
    }
    let size: number
    let offset: number
    if (type === 1) {
      if (pos + 1 > input.length) throw invalid('a copy runs past the end of the body')
      size = 4 + ((tag >>> 2) & 7)
      offset = ((tag >>> 5) << 8) | input[pos]!
      pos += 1
    } else if (type === 2) {
      if (pos + 2 > input.length) throw invalid('a copy runs past the end of the body')
      size = 1 + (tag >>> 2)
      offset = input[pos]! | (input[pos + 1]! << 8)
      pos += 2
    } else {
      if (pos + 4 > input.length) throw invalid('a copy runs past the end of the body')
      size = 1 + (tag >>> 2)
      offset =
        input[pos]! +
        input[pos + 1]! * 2 ** 8 +
        input[pos + 2]! * 2 ** 16 +
        input[pos + 3]! * 2 ** 24
      pos += 4
    }
    if (offset === 0 || offset > out) throw invalid('a copy reaches before the start')
    if (out + size > length) throw invalid('a copy runs past the declared length')
    // Byte by byte: a copy may overlap what it writes (a run).
    for (let i = 0; i < size; i++, out++) output[out] = output[out - offset]!
  }
  if (out !== length) throw invalid(`${out} bytes where ${length} were declared`)
  return output
}

/** The framing format: chunks with a type, a length and (for data) a masked CRC-32C. */
export function decompressSnappyFramed(input: Uint8Array, maxBytes: number): Uint8Array {
  if (!isSnappyFramed(input)) {
    throw new SnappyProblem('snappy: a framed stream must start with the stream identifier')
  }
  const parts: Uint8Array[] = []
  let total = 0
  let pos = 0
  while (pos < input.length) {
    if (pos + 4 > input.length)
      throw new SnappyProblem('snappy: the body ends inside a chunk header')
    const type = input[pos]!
    const length = input[pos + 1]! | (input[pos + 2]! << 8) | (input[pos + 3]! << 16)
    const start = pos + 4
    const end = start + length
    if (end > input.length) throw new SnappyProblem('snappy: the body ends inside a chunk')
    pos = end
    if (type === CHUNK_STREAM_IDENTIFIER || type === CHUNK_PADDING || type >= 0x80) continue
    if (type !== CHUNK_COMPRESSED && type !== CHUNK_UNCOMPRESSED) {
      throw new SnappyProblem(`snappy: reserved unskippable chunk type 0x${type.toString(16)}`)
    }
    if (length < CRC_BYTES) throw new SnappyProblem('snappy: a data chunk is too short')
    const data = input.subarray(start + CRC_BYTES, end)
    const chunk =
      type === CHUNK_UNCOMPRESSED ? data : decompressSnappyBlock(data, MAX_CHUNK_DATA_BYTES)
    if (chunk.length > MAX_CHUNK_DATA_BYTES) {
      throw new SnappyProblem('snappy: a chunk holds more than 64 KiB')
    }
    const expected = new DataView(input.buffer, input.byteOffset + start, CRC_BYTES).getUint32(
      0,
      true,
    )
    if (maskedCrc32c(chunk) !== expected) {
      throw new SnappyProblem('snappy: a chunk fails its CRC-32C check')
    }
    total += chunk.length
    if (total > maxBytes) {
      throw new SnappyProblem(`snappy: the body inflates past ${maxBytes} bytes`, true)
    }
    parts.push(chunk)
  }
  return Buffer.concat(parts, total)
}

function readLength(input: Uint8Array): { length: number; start: number } {
  let length = 0
  for (let i = 0, shift = 1; i < 5; i++, shift *= 128) {
    const byte = input[i]
    if (byte === undefined) break
    length += (byte & 0x7f) * shift
    if (byte < 0x80) return { length, start: i + 1 }
  }
  throw new SnappyProblem('snappy: the body does not start with a valid length')
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32C (Castagnoli), masked as the framing format stores it. */
export function maskedCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  crc = (crc ^ 0xffffffff) >>> 0
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0
}
