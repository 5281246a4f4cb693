import { parentPort } from 'node:worker_threads'
import { isRhError, toMessage } from '../../errors.ts'
import type { MappingOptions, MapSpansOptions } from '../../model/map-spans.ts'
import { decodeMetrics } from './decode-metrics.ts'
import { createSpansChunkBuilder } from '../../store/spans-block.ts'
import { decodeTraces } from './decode-traces.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { packTypedArrays } from './transferables.ts'

/** A decoding job, as the pool posts it. */
export interface DecodeJob {
  readonly id: number
  /** Which export request the body holds; traces when left out. */
  readonly signal?: 'traces' | 'metrics'
  readonly body: Uint8Array
  readonly encoding: OtlpEncoding
  readonly mapping: MappingOptions
  readonly options: MapSpansOptions
}

/** The thread's one builder: its columns are reused by every job, as packing copies them. */
const builder = createSpansChunkBuilder(4_096)

/** A packed buffer the main thread is done with, given back to be packed into again. */
export interface RecycledBuffer {
  readonly recycle: ArrayBuffer
}

/** Buffers given back and not yet reused; a few cover the requests decoded at once. */
const spares: ArrayBuffer[] = []
const MAX_SPARES = 8

/**
 * A decoding thread: decodes each job it is sent and posts back the chunk, its buffers packed
 * into one that is transferred rather than copied, or the error (code and message) to throw on
 * the main thread.
 */
parentPort?.on('message', (message: DecodeJob | RecycledBuffer) => {
  if ('recycle' in message) {
    if (spares.length < MAX_SPARES) spares.push(message.recycle)
    return
  }
  const job = message
  try {
    const decoded = packTypedArrays(
      job.signal === 'metrics'
        ? decodeMetrics(job.body, job.encoding, job.mapping, job.options)
        : decodeTraces(job.body, job.encoding, job.mapping, job.options, builder),
      spares.pop(),
    )
    parentPort?.postMessage({ id: job.id, decoded }, [decoded.buffer])
  } catch (error) {
    parentPort?.postMessage({
      id: job.id,
      error: {
        code: isRhError(error) ? error.code : 'RH_INTERNAL',
        message: toMessage(error),
      },
    })
  }
})
