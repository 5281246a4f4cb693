import { deflateRawSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import { compressFrameSync } from 'lz4-napi'
import { compress as snappyCompress } from 'snappyjs'
import { describe, expect, it } from 'vitest'
import { decompressBody, toBodyCompression } from '../../../src/ingest/otlp/content-encoding.ts'
import { maskedCrc32c } from '../../../src/ingest/otlp/snappy-stream.ts'
import { isRhError } from '../../../src/errors.ts'

/** A body as a receiver's decoding thread gets it: the encoding checked, then decompressed. */
function decodeContentEncoding(
  body: Uint8Array,
  contentEncoding: string | undefined,
  maxBytes: number,
  limitKey?: string,
): Uint8Array {
  const compression = toBodyCompression(contentEncoding, maxBytes, limitKey)
  return compression === undefined ? body : decompressBody(body, compression)
}

/**
 * Every compression an OTLP sender may use, as the OpenTelemetry Collector's confighttp and
 * configgrpc write them, each compressed here with a standard library (zlib, lz4's reference
 * frame format through lz4-napi, snappyjs) and decompressed by release-health.
 */

/** Text-like bytes that compress well but not trivially. */
function sample(bytes: number): Buffer {
  const words = ['checkout', 'GET /cart', 'service.version', '1.5.0', 'feature_flag', 'on', 'off']
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += words[(i * 7 + (i >> 3)) % words.length]! + i
  return Buffer.from(text.slice(0, bytes))
}

/** The Snappy framing format (google/snappy framing_format.txt), chunk by 64 KiB chunk. */
function snappyFramed(data: Uint8Array): Buffer {
  const parts: Buffer[] = [
    Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]),
  ]
  for (let at = 0; at < data.length; at += 65_536) {
    const chunk = data.subarray(at, at + 65_536)
    const compressed = Buffer.from(snappyCompress(chunk))
    const header = Buffer.alloc(8)
    header[0] = 0x00
    header.writeUIntLE(compressed.length + 4, 1, 3)
    header.writeUInt32LE(maskedCrc32c(chunk), 4)
    parts.push(header, compressed)
  }
  return Buffer.concat(parts)
}

/** Encoding name, what the sender writes under it, and how. */
const COMPRESSORS: readonly (readonly [string, string, (data: Buffer) => Buffer])[] = [
  ['gzip', 'gzip', (data) => gzipSync(data)],
  ['deflate', 'zlib format', (data) => deflateSync(data)],
  ['deflate', 'raw deflate', (data) => deflateRawSync(data)],
  ['zlib', 'zlib format', (data) => deflateSync(data)],
  ['zstd', 'a zstd frame', (data) => zstdCompressSync(data)],
  ['snappy', 'a Snappy block', (data) => Buffer.from(snappyCompress(data))],
  ['snappy', 'Snappy framing', (data) => snappyFramed(data)],
  ['x-snappy-framed', 'Snappy framing', (data) => snappyFramed(data)],
  ['lz4', 'LZ4 frames', (data) => compressFrameSync(data)],
]

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run()
  } catch (error) {
    if (isRhError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a failure')
}

describe('toBodyCompression and decompressBody', () => {
  const original = sample(300_000)

  for (const [name, format, compress] of COMPRESSORS) {
    it(`gives back exactly what was compressed as ${name} (${format})`, () => {
      const compressed = compress(original)
      expect(compressed.length).toBeLessThan(original.length)
      const body = decodeContentEncoding(compressed, name, 1_000_000)
      expect(Buffer.from(body).equals(original)).toBe(true)
    })
  }

  it('takes identity, none and no header as uncompressed, and names in any case', () => {
    for (const name of [undefined, '', 'identity', 'none']) {
      expect(decodeContentEncoding(original, name, 1_000_000)).toBe(original)
    }
    const upper = decodeContentEncoding(zstdCompressSync(original), ' ZSTD ', 1_000_000)
    expect(Buffer.from(upper).equals(original)).toBe(true)
  })

  describe('a decompression bomb', () => {
    const BOMB_BYTES = 96 * 1024 * 1024
    const LIMIT = 1024 * 1024
    const zeros = Buffer.alloc(BOMB_BYTES)
    const bombs = COMPRESSORS.map(
      ([name, format, compress]) => [name, format, compress(zeros)] as const,
    )

    for (const [name, format, bomb] of bombs) {
      it(`in ${name} (${format}) is refused as too large without inflating it`, () => {
        const before = process.memoryUsage().arrayBuffers
        const refused = failure(() => decodeContentEncoding(bomb, name, LIMIT, 'otlp.test.limit'))
        const grown = process.memoryUsage().arrayBuffers - before
        expect(refused.code).toBe('RH_INGEST_TOO_LARGE')
        expect(refused.message).toMatch(
          /inflates past the limit of 1048576 bytes \(otlp.test.limit\)/,
        )
        // Inflating the bomb would take 96 MiB; what is held stays near the limit.
        expect(grown).toBeLessThan(BOMB_BYTES / 4)
      })
    }
  })

  it('refuses a corrupt body as undecodable, naming the encoding', () => {
    // Regression: snappyjs "decompressed" this into 116 bytes, the tail zeros.
    for (const [name] of COMPRESSORS) {
      const refused = failure(() =>
        decodeContentEncoding(Buffer.from('this is not compressed at all'), name, 1_000_000),
      )
      expect(refused.code, name).toBe('RH_INGEST_UNDECODABLE')
      expect(refused.message).toContain(name)
    }
  })

  it('refuses Snappy blocks that copy from before their start or stop short of their length', () => {
    const blocks = {
      'copies before the start': Uint8Array.of(8, 0b0000_0001 | (0 << 2), 5),
      'stops short': Uint8Array.of(10, 0b0000_1000, 1, 2, 3),
      'overruns its length': Uint8Array.of(2, 0b0000_1000, 1, 2, 3),
    }
    for (const [why, block] of Object.entries(blocks)) {
      const refused = failure(() => decodeContentEncoding(Buffer.from(block), 'snappy', 1_000))
      expect(refused.code, why).toBe('RH_INGEST_UNDECODABLE')
    }
  })

  it('refuses an unknown encoding as unsupported, listing the ones it takes', () => {
    const refused = failure(() => decodeContentEncoding(original, 'br', 1_000_000))
    expect(refused.code).toBe('RH_INGEST_UNSUPPORTED_MEDIA_TYPE')
    expect(refused.message).toMatch(/"br" is not supported; send gzip, deflate, zlib, zstd, snappy/)
  })

  it('computes the masked CRC-32C of the Snappy framing format', () => {
    // CRC-32C("123456789") = 0xE3069283 (RFC 3720, B.4), masked as framing_format.txt says.
    const crc = 0xe3069283
    const masked = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(masked)
  })
})
