import { describe, expect, it } from 'vitest'
import type { ConsumedRun } from '../../../src/ingest/kafka/consumed-message.ts'
import { createPendingRuns } from '../../../src/ingest/kafka/consumer/pending-runs.ts'
import { eventRun, singleMessage, timestampOf } from '../../helpers/consumed-runs.ts'

/** Each run's offsets and, for an event run, its rows. */
const shapeOf = (runs: readonly ConsumedRun[]) =>
  runs.map((run) =>
    run.kind === 'message'
      ? { offsets: [run.offset] }
      : { offsets: [...run.offsets].map(BigInt), rows: [run.from, run.to] },
  )

describe('createPendingRuns', () => {
  it('reads the messages of its runs one by one, in order and out of order', () => {
    const pending = createPendingRuns()
    pending.push(eventRun([5, 6, 8], { from: 2 }), -1n)
    pending.push(singleMessage(9, 0), -1n)
    pending.push(eventRun([10, 11]), -1n)
    expect(pending.count).toBe(6)
    const read = (index: number) => [
      pending.offsetAt(index),
      pending.timestampMsAt(index),
      pending.rowsAt(index),
    ]
    expect([5, 0, 3, 2, 4, 1].map(read)).toEqual(
      [11, 5, 9, 8, 10, 6].map((offset) => [
        BigInt(offset),
        String(timestampOf(offset)),
        offset === 9 ? 0 : 1,
      ]),
    )
    expect(() => pending.offsetAt(6)).toThrow(RangeError)
  })

  it('takes a batch that ends inside a run without changing the buffer, then drops it', () => {
    const pending = createPendingRuns()
    pending.push(eventRun([0, 1, 2], { receivedAtMs: 10 }), -1n)
    pending.push(singleMessage(3, 2), -1n)
    pending.push(eventRun([4, 5, 6, 7], { from: 3, receivedAtMs: 20 }), -1n)
    const batch = pending.front(6)
    expect(shapeOf(batch.runs)).toEqual([
      { offsets: [0n, 1n, 2n], rows: [0, 3] },
      { offsets: [3n] },
      { offsets: [4n, 5n], rows: [3, 5] },
    ])
    expect(batch).toMatchObject({
      messages: 6,
      firstOffset: 0n,
      lastOffset: 5n,
      firstTimestampMs: String(timestampOf(0)),
      rows: 7,
      heldRows: 7,
      rejectedRows: 0,
    })
    expect(pending.count).toBe(8)
    pending.drop(6)
    expect(pending.count).toBe(2)
    expect(shapeOf(pending.front(2).runs)).toEqual([{ offsets: [6n, 7n], rows: [5, 7] }])
    expect(pending.oldestReceivedAtMs).toBe(20)
  })

  it('buffers only the messages of a run after the offset given, and counts their slots', () => {
    const pending = createPendingRuns()
    expect(pending.push(eventRun([3, 4, 5, 6], { from: 1 }), 4n)).toBe(2)
    expect(pending.push(singleMessage(6), 6n)).toBe(0)
    expect(pending.push(eventRun([5, 6]), 6n)).toBe(0)
    expect(pending.push(singleMessage(7, 0), 6n)).toBe(1)
    expect(shapeOf(pending.front(3).runs)).toEqual([
      { offsets: [5n, 6n], rows: [3, 5] },
      { offsets: [7n] },
    ])
    expect(pending.clear()).toBe(3)
    expect(pending.count).toBe(0)
    expect(pending.oldestReceivedAtMs).toBeUndefined()
  })
})
