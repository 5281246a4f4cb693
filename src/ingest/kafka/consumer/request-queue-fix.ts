import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The KafkaJS release whose request queue this fixes; any other is left as it is. */
const FIXED_VERSION = '2.2.4'
/** KafkaJS's own delay between checks of a queue holding requests (same constant as its source). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10

/** The part of KafkaJS's `RequestQueue` (src/network/requestQueue) that the fix touches. */
interface RequestQueueState {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null | undefined
  checkPendingRequests(): void
}

let outcome: 'fixed' | 'not needed' | undefined

/**
 * Fixes the cause of the `TimeoutNegativeWarning` that every KafkaJS 2.2.4 client prints on
 * Node 24, and the busy loop behind it (KafkaJS issues #1704 and #1751, unreleased upstream).
 *
 * After every response, `RequestQueue#scheduleCheckPendingRequests` arms a timer to look at
 * the queue again in `throttledUntil - Date.now()` ms, even when nothing is queued. Without
 * broker throttling `throttledUntil` is -1, so the delay is about -1.7e12: Node 24 warns
 * about the negative delay and runs the timer after 1 ms, and the timer schedules itself
 * again. Each connection re-checks an empty queue a thousand times a second for as long as
 * it lives.
 *
 * The fixed method arms the timer only when requests wait: after the broker's throttle time
 * when throttled, otherwise after KafkaJS's usual 10 ms. With nothing waiting there is nothing
 * to check; `push` arms the timer again whenever it queues a request. Applied once per
 * process, to the one module instance KafkaJS itself loads, and only to the release it was
 * written for.
 */
export function fixKafkaRequestQueue(): 'fixed' | 'not needed' {
  if (outcome !== undefined) return outcome
  const version = (require('kafkajs/package.json') as { version: string }).version
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueState & { scheduleCheckPendingRequests(): void }
  }
  if (version !== FIXED_VERSION) return (outcome = 'not needed')
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueState) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return
    const throttledForMs = this.throttledUntil - Date.now()
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null
        this.checkPendingRequests()
      },
      throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    )
  }
  return (outcome = 'fixed')
}
