import { parentPort } from 'node:worker_threads'
import { isRhError, toMessage } from '../../errors.ts'
import type { MappingOptions, MapSpansOptions } from '../../model/map-spans.ts'
import { decodeMetrics } from './decode-metrics.ts'
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

/**
 * A decoding thread: decodes each job it is sent and posts back the chunk, its buffers packed
 * into one that is transferred rather than copied, or the error (code and message) to throw on
 * the main thread.
 */
parentPort?.on('message', (job: DecodeJob) => {
  try {
    const decoded = packTypedArrays(
      job.signal === 'metrics'
        ? decodeMetrics(job.body, job.encoding, job.mapping, job.options)
        : decodeTraces(job.body, job.encoding, job.mapping, job.options),
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
