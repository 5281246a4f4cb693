import { parentPort } from 'node:worker_threads'
import { toMessage } from '../../../errors.ts'
import { packTypedArrays } from '../../otlp/transferables.ts'
import { decodeFetch } from './decode-fetch.ts'
import type { FetchJob, FetchReply } from './fetch-wire.ts'

/**
 * A decoding thread of `createFetchDecoder`: decodes each fetch it is sent and posts back the
 * decoded messages, their column buffers packed into one that is transferred, not copied.
 */
parentPort?.on('message', (job: FetchJob) => {
  let reply: FetchReply
  let transfer: ArrayBuffer[] = []
  try {
    const decoded = packTypedArrays(decodeFetch(job.format, job.bytes, job.bounds, job.options))
    reply = { id: job.id, decoded }
    transfer = [decoded.buffer]
  } catch (error) {
    reply = { id: job.id, error: toMessage(error) }
  }
  parentPort?.postMessage(reply, transfer)
})
