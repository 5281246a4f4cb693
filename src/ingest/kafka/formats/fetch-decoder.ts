import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RhError } from '../../../errors.ts'
import { unpackTypedArrays } from '../../otlp/transferables.ts'
import { createWorkerThreads } from '../../worker-threads.ts'
import { decodeMessages, type DecodeOptions } from './decode-message.ts'
import type { MessageFormat } from './format-registry.ts'
import type { DecodedMessage } from './message-format.ts'
import { fromWire, packValues, type FetchJob, type FetchReply } from './fetch-wire.ts'

/**
 * Where the messages of each fetch are decoded and mapped: on `threads` worker threads, or on
 * the calling thread when `threads` is 0. On a worker, the main thread is left to KafkaJS, the
 * batches and the inserts, and the two share the cores: a worker whose one thread did all of
 * it was bound by that thread (`benchmarks/RESULTS.md`, "Kafka workers").
 */
export interface FetchDecoder {
  /** Decodes one fetch's message values of a `format` topic, in order (`decodeMessages`). */
  decode(
    format: MessageFormat,
    values: readonly (Buffer | null)[],
    options: DecodeOptions,
  ): Promise<DecodedMessage[]>
  close(): Promise<void>
}

/** The worker's module, a sibling of this one: .ts from a clone, .js from the package. */
const WORKER_URL = new URL(
  `./fetch-decode-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

export function createFetchDecoder(options: { readonly threads: number }): FetchDecoder {
  if (options.threads <= 0) {
    return {
      decode: (format, values, decodeOptions) =>
        Promise.resolve().then(() => decodeMessages(format, values, decodeOptions)),
      close: () => Promise.resolve(),
    }
  }
  const threads = createWorkerThreads<FetchReply>(WORKER_URL, options.threads)
  return {
    async decode(format, values, decodeOptions) {
      const reply = await threads.request((id) => {
        const { bytes, bounds } = packValues(values)
        const job: FetchJob = { id, format, bytes, bounds, options: decodeOptions }
        return { message: job, transfer: [bytes.buffer, bounds.buffer] }
      })
      if (reply.decoded === undefined) {
        throw new RhError('RH_INTERNAL', `decoding a kafka fetch failed: ${reply.error}`)
      }
      return fromWire(unpackTypedArrays(reply.decoded))
    },
    close: () => threads.close(),
  }
}
