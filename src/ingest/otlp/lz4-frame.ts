/**
 * The LZ4 frame format (lz4 `doc/lz4_Frame_format.md`), as the OpenTelemetry Collector's
 * `compression: lz4` writes it (`pierrec/lz4` `NewWriter`): frames of blocks, each block
 * compressed in the LZ4 block format (`doc/lz4_Block_format.md`) or stored as is.
 *
 * Decoded here rather than by a native library so that the output can never grow past
 * `maxBytes`: a frame's header may omit the content size, and a few kilobytes of LZ4 can
 * stand for gigabytes. Checksums are skipped, not verified; a corrupted body then fails
 * protobuf or JSON decoding instead.
 */

const FRAME_MAGIC = 0x184d2204
/** Skippable frames: magic 0x184D2A50 to 0x184D2A5F, then a 4-byte length. */
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const BLOCK_MAX_BYTES: Readonly<Record<number, number>> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
}
const UNCOMPRESSED_BLOCK = 0x8000_0000
const MIN_MATCH = 4

/** A tooLarge() or malformed() error is thrown; the caller words the limit. */
export class Lz4Problem extends Error {
  readonly tooLarge: boolean
  constructor(message: string, tooLarge = false) {
    super(message)
    this.tooLarge = tooLarge
  }
}

/**
 * Decompresses one or more concatenated LZ4 frames.
 *
 * @throws Lz4Problem when the input is not LZ4 frames, or inflates past `maxBytes`.
 */
export function decompressLz4Frames(input: Uint8Array, maxBytes: number): Uint8Array {
  const output = new GrowableOutput(Math.min(maxBytes, Math.max(1024, input.length * 4)), maxBytes)
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  let pos = 0
  if (input.length < 4) throw new Lz4Problem('lz4: the body is too short to be an LZ4 frame')
  while (pos < input.length) {
    need(input, pos, 4, 'frame magic number')
    const magic = view.getUint32(pos, true)
    pos += 4
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(input, pos, 4, 'skippable frame size')
      pos += 4 + view.getUint32(pos, true)
      continue
    }
    if (magic !== FRAME_MAGIC) {
      throw new Lz4Problem(`lz4: expected an LZ4 frame (magic 0x184D2204) at byte ${pos - 4}`)
    }
    pos = readFrame(input, view, pos, output)
  }
  return output.result()
}

function readFrame(input: Uint8Array, view: DataView, start: number, output: GrowableOutput) {
  let pos = start
  need(input, pos, 2, 'frame descriptor')
  const flags = input[pos]!
  const blockDescriptor = input[pos + 1]!
  pos += 2
  if (flags >> 6 !== 1) throw new Lz4Problem(`lz4: unsupported frame version ${flags >> 6}`)
  const blockChecksums = (flags & 0x10) !== 0
  const contentSize = (flags & 0x08) !== 0
  const contentChecksum = (flags & 0x04) !== 0
  const dictionary = (flags & 0x01) !== 0
  const blockMax = BLOCK_MAX_BYTES[(blockDescriptor >> 4) & 7]
  if (blockMax === undefined) throw new Lz4Problem('lz4: invalid block maximum size')
  if (dictionary) throw new Lz4Problem('lz4: frames that need a dictionary are not supported')
  // Content size (8), then the header checksum byte.
  pos += (contentSize ? 8 : 0) + 1
  need(input, pos, 0, 'frame header')
  for (;;) {
    need(input, pos, 4, 'block size')
    const word = view.getUint32(pos, true)
    pos += 4
    if (word === 0) break
    const size = (word & ~UNCOMPRESSED_BLOCK) >>> 0
    need(input, pos, size, 'block')
    if ((word & UNCOMPRESSED_BLOCK) !== 0) {
      if (size > blockMax)
        throw new Lz4Problem('lz4: a stored block is larger than the frame allows')
      output.append(input, pos, pos + size)
    } else {
      decompressBlock(input, pos, pos + size, output, blockMax)
    }
    pos += size + (blockChecksums ? 4 : 0)
  }
  return pos + (contentChecksum ? 4 : 0)
}

/** One LZ4 block: sequences of literals and back-references, the last one literals only. */
function decompressBlock(
  input: Uint8Array,
  start: number,
  end: number,
  output: GrowableOutput,
  blockMax: number,
): void {
  const blockStart = output.length
  let ip = start
  while (ip < end) {
    const token = input[ip++]!
    let literals = token >> 4
    if (literals === 15) {
      let byte = 255
      while (byte === 255) {
        if (ip >= end) throw malformed()
        byte = input[ip++]!
        literals += byte
      }
    }
    if (ip + literals > end) throw malformed()
    output.append(input, ip, ip + literals)
    ip += literals
    if (ip === end) break
    if (ip + 2 > end) throw malformed()
    const offset = input[ip]! | (input[ip + 1]! << 8)
    ip += 2
    let matchLength = (token & 15) + MIN_MATCH
    if ((token & 15) === 15) {
      let byte = 255
      while (byte === 255) {
        if (ip >= end) throw malformed()
        byte = input[ip++]!
        matchLength += byte
      }
    }
    if (offset === 0 || offset > output.length) throw malformed()
    output.copyWithin(offset, matchLength)
    if (output.length - blockStart > blockMax) {
      throw new Lz4Problem('lz4: a block decompresses past the frame block size')
    }
  }
}

function malformed(): Lz4Problem {
  return new Lz4Problem('lz4: a compressed block is malformed')
}

function need(input: Uint8Array, pos: number, bytes: number, what: string): void {
  if (pos + bytes > input.length) throw new Lz4Problem(`lz4: the body ends inside a ${what}`)
}

/** Output that doubles as it fills, never past `maxBytes` (then a too-large problem). */
class GrowableOutput {
  private bytes: Uint8Array
  length = 0
  private readonly maxBytes: number

  constructor(initialBytes: number, maxBytes: number) {
    this.bytes = new Uint8Array(initialBytes)
    this.maxBytes = maxBytes
  }

  private reserve(more: number): void {
    const needed = this.length + more
    if (needed > this.maxBytes) {
      throw new Lz4Problem(`lz4: the body inflates past ${this.maxBytes} bytes`, true)
    }
    if (needed <= this.bytes.length) return
    const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(needed, this.bytes.length * 2)))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }

  append(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start)
    this.bytes.set(source.subarray(start, end), this.length)
    this.length += end - start
  }

  /** Copies `length` bytes from `offset` back, byte by byte: the ranges may overlap. */
  copyWithin(offset: number, length: number): void {
    this.reserve(length)
    const bytes = this.bytes
    let from = this.length - offset
    let to = this.length
    if (offset >= length) {
      bytes.copyWithin(to, from, from + length)
    } else {
      for (let i = 0; i < length; i++) bytes[to++] = bytes[from++]!
    }
    this.length += length
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }
}
