import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { RhError } from '../../../errors.ts'
import { unpackTypedArrays } from '../../otlp/transferables.ts'
import { decodeMessages, type DecodeOptions } from './decode-message.ts'
import type { MessageFormat } from './format-registry.ts'
import type { DecodedMessage } from './message-format.ts'
import { fromWire, type FetchJob, type FetchReply } from './fetch-wire.ts'

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

interface Pending {
  readonly resolve: (decoded: DecodedMessage[]) => void
  readonly reject: (error: unknown) => void
}

export function createFetchDecoder(options: { readonly threads: number }): FetchDecoder {
  if (options.threads <= 0) {
    return {
      decode: (format, values, decodeOptions) =>
        Promise.resolve().then(() => decodeMessages(format, values, decodeOptions)),
      close: () => Promise.resolve(),
    }
  }
  const pending = new Map<number, Pending>()
  let nextId = 0
  let nextWorker = 0
  const workers = Array.from({ length: options.threads }, () => {
    const worker = new Worker(WORKER_URL)
    worker.on('message', (reply: FetchReply) => {
      const waiting = pending.get(reply.id)
      pending.delete(reply.id)
      if (waiting === undefined) return
      if (reply.decoded !== undefined) {
        waiting.resolve(fromWire(unpackTypedArrays(reply.decoded)))
      } else {
        waiting.reject(new RhError('RH_INTERNAL', `decoding a kafka fetch failed: ${reply.error}`))
      }
    })
    worker.on('error', (error) => {
      // A decoding thread only dies of a bug; fail what it held (the fetch is read again).
      for (const [id, waiting] of pending) {
        pending.delete(id)
        waiting.reject(error)
      }
    })
    // Idle workers must not keep the process alive.
    worker.unref()
    return worker
  })

  return {
    decode(format, values, decodeOptions) {
      const id = nextId++
      const { bytes, bounds } = packValues(values)
      const worker = workers[nextWorker++ % workers.length]!
      return new Promise<DecodedMessage[]>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        const job: FetchJob = { id, format, bytes, bounds, options: decodeOptions }
        worker.postMessage(job, [bytes.buffer, bounds.buffer])
      })
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}

/**
 * The values copied into one buffer to transfer: a fetch's values are views of KafkaJS's
 * response buffers, which cannot move. `bounds` holds each value's start and end, -1 for null.
 */
function packValues(values: readonly (Buffer | null)[]): {
  bytes: Uint8Array<ArrayBuffer>
  bounds: Int32Array<ArrayBuffer>
} {
  let total = 0
  for (const value of values) total += value?.length ?? 0
  const bytes = new Uint8Array(total)
  const bounds = new Int32Array(values.length * 2)
  let at = 0
  values.forEach((value, index) => {
    if (value === null) {
      bounds[2 * index] = -1
      bounds[2 * index + 1] = -1
      return
    }
    bytes.set(value, at)
    bounds[2 * index] = at
    at += value.length
    bounds[2 * index + 1] = at
  })
  return { bytes, bounds }
}
