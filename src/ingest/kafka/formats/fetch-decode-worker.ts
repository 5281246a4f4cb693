import { parentPort } from 'node:worker_threads'
import { toMessage } from '../../../errors.ts'
import { packTypedArrays } from '../../otlp/transferables.ts'
import { decodeMessages } from './decode-message.ts'
import { toWire, type FetchJob, type FetchReply } from './fetch-wire.ts'

/**
 * A decoding thread of `createFetchDecoder`: decodes each fetch it is sent and posts back the
 * decoded messages, their column buffers packed into one that is transferred, not copied.
 */
parentPort?.on('message', (job: FetchJob) => {
  let reply: FetchReply
  let transfer: ArrayBuffer[] = []
  try {
    const values = Array.from({ length: job.bounds.length / 2 }, (_, index) => {
      const start = job.bounds[2 * index]!
      const end = job.bounds[2 * index + 1]!
      return start < 0
        ? null
        : Buffer.from(job.bytes.buffer, job.bytes.byteOffset + start, end - start)
    })
    const decoded = packTypedArrays(toWire(decodeMessages(job.format, values, job.options)))
    reply = { id: job.id, decoded }
    transfer = [decoded.buffer]
  } catch (error) {
    reply = { id: job.id, error: toMessage(error) }
  }
  parentPort?.postMessage(reply, transfer)
})
