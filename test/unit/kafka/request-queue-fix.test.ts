import { createRequire } from 'node:module'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fixKafkaRequestQueue } from '../../../src/ingest/kafka/consumer/request-queue-fix.ts'

const require = createRequire(import.meta.url)

interface RequestQueue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  checkPendingRequests(): void
  scheduleCheckPendingRequests(): void
  destroy(): void
}

// The module KafkaJS itself uses: the fix patches this class, not a copy of it.
const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as new (options: {
  maxInFlightRequests: number | null
  requestTimeout: number
  enforceRequestTimeout: boolean
  clientId: string
  broker: string
  logger: { debug(): void }
}) => RequestQueue

function createQueue(): RequestQueue {
  return new RequestQueueClass({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:9092',
    logger: { debug: () => undefined },
  })
}

/** A queued request as far as the queue looks at it: sending it records that it was sent. */
function waitingRequest(): {
  correlationId: number
  expectResponse: boolean
  sent: boolean
  send(): void
} {
  return {
    correlationId: 1,
    expectResponse: true,
    sent: false,
    send() {
      this.sent = true
    },
  }
}

describe('fixKafkaRequestQueue', () => {
  beforeEach(() => {
    fixKafkaRequestQueue()
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('applies to the KafkaJS release it was written for', () => {
    expect(fixKafkaRequestQueue()).toBe('fixed')
  })

  it('arms no timer after a response when no request waits (no negative delay, no 1 ms loop)', () => {
    const queue = createQueue()
    // What KafkaJS does after every response: look at the queue, then schedule the next look.
    queue.checkPendingRequests()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('sends a waiting request 10 ms later when the broker does not throttle', () => {
    const queue = createQueue()
    const request = waitingRequest()
    queue.pending.push(request)
    queue.scheduleCheckPendingRequests()
    vi.advanceTimersByTime(10)
    expect(request.sent).toBe(true)
    expect(queue.pending).toHaveLength(0)
  })

  it('sends a waiting request when the broker throttle ends, not before', () => {
    const queue = createQueue()
    const request = waitingRequest()
    queue.pending.push(request)
    queue.throttledUntil = Date.now() + 5_000
    queue.scheduleCheckPendingRequests()
    vi.advanceTimersByTime(4_999)
    expect(request.sent).toBe(false)
    vi.advanceTimersByTime(1)
    expect(request.sent).toBe(true)
  })
})
