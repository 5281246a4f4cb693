import { Worker, type Transferable } from 'node:worker_threads'

/**
 * Worker threads running one module, asked in turn: each request is posted with an id and
 * answered by the one reply that carries it. The decoding pools of the OTLP receivers and of
 * the Kafka workers are built on it.
 */
export interface WorkerThreads<Reply extends { readonly id: number }> {
  /**
   * Posts the message `build` makes for a fresh id (with the buffers to transfer) to the next
   * thread; resolves with its reply. Rejects when the thread dies meanwhile (a bug: it then
   * fails what it held rather than hang it).
   */
  request(build: (id: number) => { message: unknown; transfer: Transferable[] }): Promise<Reply>
  /** Posts a message that asks for no reply to the next thread. */
  post(message: unknown, transfer: Transferable[]): void
  close(): Promise<void>
}

interface Pending<Reply> {
  readonly resolve: (reply: Reply) => void
  readonly reject: (error: unknown) => void
}

export function createWorkerThreads<Reply extends { readonly id: number }>(
  url: URL,
  threads: number,
): WorkerThreads<Reply> {
  const pending = new Map<number, Pending<Reply>>()
  let nextId = 0
  let nextWorker = 0
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(url)
    worker.on('message', (reply: Reply) => {
      const waiting = pending.get(reply.id)
      pending.delete(reply.id)
      waiting?.resolve(reply)
    })
    worker.on('error', (error) => {
      for (const [id, waiting] of pending) {
        pending.delete(id)
        waiting.reject(error)
      }
    })
    // Idle workers must not keep the process alive.
    worker.unref()
    return worker
  })
  const next = (): Worker => workers[nextWorker++ % workers.length]!
  return {
    request(build) {
      const id = nextId++
      const { message, transfer } = build(id)
      const worker = next()
      return new Promise<Reply>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage(message, transfer)
      })
    },
    post(message, transfer) {
      next().postMessage(message, transfer)
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}
