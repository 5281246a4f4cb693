import {
  gunzipSync,
  inflateRawSync,
  inflateSync,
  zstdDecompressSync,
  type ZlibOptions,
} from 'node:zlib'
import { RhError } from '../../errors.ts'
import { decompressLz4Frames, Lz4Problem } from './lz4-frame.ts'
import { decompressSnappy, decompressSnappyFramed, SnappyProblem } from './snappy-stream.ts'

type Decompress = (body: Uint8Array, maxBytes: number) => Uint8Array

/**
 * A body as received and how to decompress it: decompressed where it is decoded, on a
 * decoding thread, so that the main thread neither inflates it nor carries zlib's memory (a
 * zlib stream per request made V8 run a full collection of the main thread's heap about once a
 * second at 100 requests/s, for "external memory pressure").
 */
export interface BodyCompression {
  /** The `Content-Encoding` (or `grpc-encoding`) as the sender wrote it. */
  readonly encoding: string
  /** Inflating past this is refused as too large. */
  readonly maxBytes: number
  /** The setting that limit comes from, named in the refusal, e.g. `otlp.http.maxBodyBytes`. */
  readonly limitKey: string
}

/** Output bytes zlib is ready for per body byte: OTLP protobuf gzips about tenfold. */
const EXPECTED_INFLATION = 16
const MIN_OUTPUT_CHUNK = 64 * 1024
const MAX_OUTPUT_CHUNK = 4 * 1024 * 1024

/**
 * zlib options for one body: the output limit, and output chunks sized to the body. The
 * default chunk is 16 KiB: a 424 KB request in one or two chunks is inflated with fewer
 * buffers to allocate and join (40% less CPU for a 240 KB body, measured when zlib ran on its
 * own thread and each chunk was a hop back to the event loop).
 */
function zlibOptions(body: Uint8Array, maxBytes: number): ZlibOptions {
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
  gzip: (body, maxBytes) => gunzipSync(body, zlibOptions(body, maxBytes)),
  'x-gzip': (body, maxBytes) => gunzipSync(body, zlibOptions(body, maxBytes)),
  deflate: inflateZlibOrRaw,
  zlib: inflateZlibOrRaw,
  zstd: (body, maxBytes) => zstdDecompressSync(body, { maxOutputLength: maxBytes }),
  snappy: decompressSnappy,
  'x-snappy-framed': decompressSnappyFramed,
  lz4: decompressLz4Frames,
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
 * How to decompress a body sent with `contentEncoding`: undefined when it is not compressed.
 * `limitKey` names the setting of `maxBytes` in the messages, e.g. `otlp.http.maxBodyBytes`.
 *
 * @throws RhError `RH_INGEST_UNSUPPORTED_MEDIA_TYPE` for an unknown encoding, at once, before
 *   the body is read any further.
 */
export function toBodyCompression(
  contentEncoding: string | undefined,
  maxBytes: number,
  limitKey = 'otlp.http.maxBodyBytes',
): BodyCompression | undefined {
  const encoding = (contentEncoding ?? '').trim().toLowerCase()
  if (isIdentity(encoding)) return undefined
  if (!Object.hasOwn(DECOMPRESSORS, encoding)) throw unsupported(encoding)
  return { encoding, maxBytes, limitKey }
}

function unsupported(encoding: string): RhError {
  return new RhError(
    'RH_INGEST_UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; send ${SUPPORTED_ENCODINGS.join(', ')} or an uncompressed body`,
  )
}

/**
 * The body as the sender meant it, decompressed as {@link toBodyCompression} said and never
 * inflated past the limit (a decompression bomb is refused as too large, not decompressed).
 * Synchronous: it runs where the body is decoded, a decoding thread.
 *
 * @throws RhError `RH_INGEST_TOO_LARGE` for a bomb, `RH_INGEST_UNDECODABLE` for a corrupt
 *   body, `RH_INGEST_UNSUPPORTED_MEDIA_TYPE` for an encoding not made by toBodyCompression.
 */
export function decompressBody(body: Uint8Array, compression: BodyCompression): Uint8Array {
  const { encoding, maxBytes, limitKey } = compression
  const decompress = Object.hasOwn(DECOMPRESSORS, encoding) ? DECOMPRESSORS[encoding] : undefined
  if (decompress === undefined) throw unsupported(encoding)
  try {
    return decompress(body, maxBytes)
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
function inflateZlibOrRaw(body: Uint8Array, maxBytes: number): Uint8Array {
  const options = zlibOptions(body, maxBytes)
  const zlibHeader =
    body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0
  return zlibHeader ? inflateSync(body, options) : inflateRawSync(body, options)
}
