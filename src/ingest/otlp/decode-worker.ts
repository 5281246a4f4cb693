import { parentPort } from 'node:worker_threads'
import { isRhError, toMessage } from '../../errors.ts'
import type { MappingOptions } from '../../model/map-spans.ts'
import { createSpansChunkBuilder } from '../../store/spans-block.ts'
import type { BodyCompression } from './content-encoding.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { decodeSignal, type DecodedSignal, type DecodeOptionsOf } from './signal-decoders.ts'
import { packTypedArrays } from './transferables.ts'

/** A decoding job, as the pool posts it. */
export interface DecodeJob {
  readonly id: number
  readonly body: Uint8Array
  readonly encoding: OtlpEncoding
  readonly mapping: MappingOptions
  readonly signal: DecodedSignal
  readonly options: DecodeOptionsOf<DecodedSignal>
  /** How `body` is compressed, if it is: it is decompressed here, off the main thread. */
  readonly compression?: BodyCompression
}

/** The thread's one spans builder: its columns are reused by every traces job, as packing copies them. */
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
      decodeSignal(
        job.signal,
        job.body,
        job.encoding,
        job.mapping,
        job.options,
        { traces: builder },
        job.compression,
      ),
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
