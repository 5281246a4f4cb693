import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RhError, type ErrorCode } from '../../errors.ts'
import type { MappingOptions } from '../../model/map-spans.ts'
import type { BodyCompression } from './content-encoding.ts'
import type { DecodeJob, RecycledBuffer } from './decode-worker.ts'
import type { OtlpEncoding } from './encode-response.ts'
import {
  decodeSignal,
  type DecodedOf,
  type DecodedSignal,
  type DecodeOptionsOf,
} from './signal-decoders.ts'
import { createWorkerThreads } from '../worker-threads.ts'
import { packedBufferOf, unpackTypedArrays, type Packed } from './transferables.ts'

/**
 * Where requests are decoded: on `threads` worker threads, or on the calling thread when
 * `threads` is 0. Decoding a large request takes the thread that does it for a while (tens of
 * milliseconds per 10,000 spans); on a worker the main thread keeps answering other clients,
 * refusing a flood in time, and the store's inserts and the decoding share the cores.
 */
export interface DecodePool {
  /**
   * Decodes one request of `signal` (see `signal-decoders.ts`), decompressing it first where
   * it is decoded when `compression` says how.
   */
  decode<S extends DecodedSignal>(
    signal: S,
    body: Uint8Array,
    encoding: OtlpEncoding,
    mapping: MappingOptions,
    options: DecodeOptionsOf<S>,
    compression?: BodyCompression,
  ): Promise<DecodedOf<S>>
  /**
   * Hands back what {@link decode} gave once nothing reads it any more (its rows are written
   * or refused): its buffer goes back to a decoding thread to be packed into again, rather
   * than left to the garbage collector. Reading it afterwards is a bug (it is detached).
   */
  release(decoded: DecodedOf<DecodedSignal>): void
  close(): Promise<void>
}

interface Reply {
  readonly id: number
  readonly decoded?: Packed<unknown>
  readonly error?: { readonly code: ErrorCode; readonly message: string }
}

/** The worker's module, a sibling of this one: .ts from a clone, .js from the package. */
const WORKER_URL = new URL(
  `./decode-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

export function createDecodePool(options: { readonly threads: number }): DecodePool {
  if (options.threads <= 0) {
    return {
      decode: (signal, body, encoding, mapping, mapOptions, compression) =>
        Promise.resolve().then(() =>
          decodeSignal(signal, body, encoding, mapping, mapOptions, {}, compression),
        ),
      release: () => undefined,
      close: () => Promise.resolve(),
    }
  }
  const threads = createWorkerThreads<Reply>(WORKER_URL, options.threads)

  return {
    async decode<S extends DecodedSignal>(
      signal: S,
      body: Uint8Array,
      encoding: OtlpEncoding,
      mapping: MappingOptions,
      mapOptions: DecodeOptionsOf<S>,
      compression?: BodyCompression,
    ) {
      // Transfer, not copy: a body sharing its buffer (Node pools small ones) is copied first.
      const own =
        body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
          ? body
          : new Uint8Array(body)
      const reply = await threads.request((id) => {
        const job: DecodeJob = {
          id,
          signal,
          body: own,
          encoding,
          mapping,
          options: mapOptions,
          ...(compression === undefined ? {} : { compression }),
        }
        return { message: job, transfer: [own.buffer as ArrayBuffer] }
      })
      if (reply.decoded === undefined) {
        throw new RhError(reply.error?.code ?? 'RH_INTERNAL', reply.error?.message ?? '')
      }
      return unpackTypedArrays(reply.decoded) as DecodedOf<S>
    },
    release(decoded) {
      const buffer = packedBufferOf(decoded)
      if (buffer === undefined || buffer.detached) return
      const recycled: RecycledBuffer = { recycle: buffer }
      threads.post(recycled, [buffer])
    },
    close: () => threads.close(),
  }
}
