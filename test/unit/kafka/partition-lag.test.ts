import { describe, expect, it } from 'vitest'
import { createLagTracker } from '../../../src/ingest/kafka/consumer/partition-lag.ts'

describe('createLagTracker', () => {
  it('counts the messages between the last commit and the high watermark', () => {
    const lag = createLagTracker()
    lag.fetched('spans', 0, 100n, 250n)
    expect(lag.snapshot()).toEqual([
      { topic: 'spans', partition: 0, highWatermark: 250n, nextOffset: 100n, lag: 150n },
    ])
    lag.committed('spans', 0, 180n)
    lag.fetched('spans', 0, 180n, 400n)
    expect(lag.snapshot()[0]?.lag).toBe(220n)
    lag.committed('spans', 0, 400n)
    expect(lag.snapshot()[0]?.lag).toBe(0n)
  })

  it('never moves back on a commit older than one already seen', () => {
    const lag = createLagTracker()
    lag.fetched('spans', 0, 0n, 100n)
    lag.committed('spans', 0, 80n)
    lag.committed('spans', 0, 40n)
    expect(lag.snapshot()[0]?.nextOffset).toBe(80n)
  })

  it('forgets partitions that a rebalance took away, in topic and partition order', () => {
    const lag = createLagTracker()
    lag.fetched('spans', 1, 0n, 10n)
    lag.fetched('events', 0, 0n, 10n)
    lag.fetched('spans', 0, 0n, 10n)
    lag.retain({ spans: [0, 1] })
    expect(lag.snapshot().map(({ topic, partition }) => `${topic}/${partition}`)).toEqual([
      'spans/0',
      'spans/1',
    ])
  })
})
