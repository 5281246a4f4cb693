import { promisify } from 'node:util'
import {
  gunzip,
  inflate,
  inflateRaw,
  zstdDecompress,
  type ZlibOptions,
  type ZstdOptions,
} from 'node:zlib'
import { RhError } from '../../errors.ts'
import { decompressLz4Frames, Lz4Problem } from './lz4-frame.ts'
import { decompressSnappy, decompressSnappyFramed, SnappyProblem } from './snappy-stream.ts'

const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip)
const inflateAsync = promisify<Buffer, ZlibOptions, Buffer>(inflate)
const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw)
const zstdDecompressAsync = promisify<Buffer, ZstdOptions, Buffer>(zstdDecompress)

type Decompress = (body: Buffer, maxBytes: number) => Promise<Uint8Array>

/** Output bytes zlib is ready for per body byte: OTLP protobuf gzips about tenfold. */
const EXPECTED_INFLATION = 16
const MIN_OUTPUT_CHUNK = 64 * 1024
const MAX_OUTPUT_CHUNK = 4 * 1024 * 1024

/**
 * zlib options for one body: the output limit, and output chunks sized to the body. Each
 * chunk is a hop between zlib's thread and the event loop, and the default is 16 KiB: a 424 KB
 * request in one or two chunks takes 40% less CPU to inflate (measured on 240 KB).
 */
function zlibOptions(body: Buffer, maxBytes: number): ZlibOptions {
  const chunkSize = Math.min(
    MAX_OUTPUT_CHUNK,
    Math.max(MIN_OUTPUT_CHUNK, body.length * EXPECTED_INFLATION),
  )
  return { maxOutputLength: maxBytes, chunkSize }
}

/**
 * Every compression an OTLP sender uses, by its `Content-Encoding` (OTLP/HTTP) or
 * `grpc-encoding` (OTLP/gRPC) name, as the OpenTelemetry Collector's `confighttp` and
 * `configgrpc` write them: gzip; `deflate` and `zlib`, both the zlib format (RFC 1950, with a
 * raw RFC 1951 stream accepted too, as some clients send one); zstd frames; snappy (block, or
 * the framing format from older Collectors, told apart by the first bytes) and
 * `x-snappy-framed`; lz4 frames. None of them inflates a body past the size limit.
 */
const DECOMPRESSORS: Readonly<Record<string, Decompress>> = {
  gzip: (body, maxBytes) => gunzipAsync(body, zlibOptions(body, maxBytes)),
  'x-gzip': (body, maxBytes) => gunzipAsync(body, zlibOptions(body, maxBytes)),
  deflate: inflateZlibOrRaw,
  zlib: inflateZlibOrRaw,
  zstd: (body, maxBytes) => zstdDecompressAsync(body, { maxOutputLength: maxBytes }),
  snappy: (body, maxBytes) => Promise.resolve().then(() => decompressSnappy(body, maxBytes)),
  'x-snappy-framed': (body, maxBytes) =>
    Promise.resolve().then(() => decompressSnappyFramed(body, maxBytes)),
  lz4: (body, maxBytes) => Promise.resolve().then(() => decompressLz4Frames(body, maxBytes)),
}

/** The compressions accepted besides none, in the order the README lists them. */
export const SUPPORTED_ENCODINGS: readonly string[] = [
  'gzip',
  'deflate',
  'zlib',
  'zstd',
  'snappy',
  'x-snappy-framed',
  'lz4',
]

export function isSupportedEncoding(name: string): boolean {
  return Object.hasOwn(DECOMPRESSORS, name) || isIdentity(name)
}

function isIdentity(name: string): boolean {
  return name === '' || name === 'identity' || name === 'none'
}

/**
 * The body as the sender meant it, decompressed by its declared encoding and never inflated
 * past `maxBytes` (a decompression bomb is refused as too large, not decompressed).
 * `limitKey` names the setting in the messages, e.g. `otlp.http.maxBodyBytes`.
 *
 * @throws RhError `RH_INGEST_UNSUPPORTED_MEDIA_TYPE` for an unknown encoding,
 *   `RH_INGEST_TOO_LARGE` for a bomb, `RH_INGEST_UNDECODABLE` for a corrupt body.
 */
export async function decodeContentEncoding(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
  limitKey = 'otlp.http.maxBodyBytes',
): Promise<Uint8Array> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase()
  if (isIdentity(encoding)) return body
  const decompress = Object.hasOwn(DECOMPRESSORS, encoding) ? DECOMPRESSORS[encoding] : undefined
  if (decompress === undefined) {
    throw new RhError(
      'RH_INGEST_UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; send ${SUPPORTED_ENCODINGS.join(', ')} or an uncompressed body`,
    )
  }
  try {
    return await decompress(body, maxBytes)
  } catch (error) {
    if (isTooLarge(error)) {
      throw new RhError(
        'RH_INGEST_TOO_LARGE',
        `the ${encoding} body inflates past the limit of ${maxBytes} bytes (${limitKey}); send smaller batches`,
      )
    }
    const reason = error instanceof Error ? error.message : String(error)
    throw new RhError('RH_INGEST_UNDECODABLE', `the body is not valid ${encoding}: ${reason}`)
  }
}

function isTooLarge(error: unknown): boolean {
  if (error instanceof Lz4Problem || error instanceof SnappyProblem) return error.tooLarge
  return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
}

/**
 * zlib (RFC 1950), or a raw deflate stream when the first two bytes are no zlib header: the
 * HTTP `deflate` coding is zlib, but some clients send raw deflate under that name.
 */
async function inflateZlibOrRaw(body: Buffer, maxBytes: number): Promise<Uint8Array> {
  const options = zlibOptions(body, maxBytes)
  const zlibHeader =
    body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0
  return zlibHeader ? inflateAsync(body, options) : inflateRawAsync(body, options)
}
