import { describe, expect, it } from 'vitest'
import {
  planNextBatch,
  type LedgerEntry,
  type PlanInput,
  type PlannedMessage,
} from '../../../src/ingest/kafka/ledger/plan-next-batch.ts'

/** Messages at these offsets, one row each, timestamps derived from the offset. */
function messages(...offsets: number[]): PlannedMessage[] {
  return offsets.map((offset) => ({ offset: BigInt(offset), timestampMs: `t${offset}`, rows: 1 }))
}

function entry(first: number, last: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    firstOffset: BigInt(first),
    lastOffset: BigInt(last),
    firstTimestampMs: `t${first}`,
    token: `token-${first}-${last}`,
    written: false,
    ...overrides,
  }
}

function plan(input: Partial<PlanInput> & Pick<PlanInput, 'pending'>) {
  const last = input.pending[input.pending.length - 1]
  return planNextBatch({
    consumedThrough: last?.offset ?? -1n,
    entries: [],
    maxRows: 100,
    flush: false,
    ...input,
  })
}

describe('planNextBatch', () => {
  it('waits when nothing is pending', () => {
    expect(plan({ pending: [], flush: true })).toEqual({ kind: 'wait' })
  })

  it('waits for more rows while a fresh batch is neither full nor due', () => {
    expect(plan({ pending: messages(0, 1, 2) })).toEqual({ kind: 'wait' })
  })

  it('cuts a fresh batch of what is pending once the oldest message has waited long enough', () => {
    expect(plan({ pending: messages(0, 1, 2), flush: true })).toEqual({
      kind: 'fresh',
      messages: 3,
    })
  })

  it('cuts a fresh batch as soon as it holds maxRows rows', () => {
    expect(plan({ pending: messages(0, 1, 2, 3, 4), maxRows: 3 })).toEqual({
      kind: 'fresh',
      messages: 3,
    })
  })

  it('stops a fresh batch before the message that would take it past maxRows', () => {
    const pending = [
      { offset: 0n, timestampMs: 't0', rows: 60 },
      { offset: 1n, timestampMs: 't1', rows: 60 },
    ]
    expect(plan({ pending })).toEqual({ kind: 'fresh', messages: 1 })
  })

  it('takes a single message larger than maxRows on its own', () => {
    const pending = [{ offset: 0n, timestampMs: 't0', rows: 500 }]
    expect(plan({ pending })).toEqual({ kind: 'fresh', messages: 1 })
  })

  it('counts a poison message (no rows) in the batch without filling it', () => {
    const pending = [...messages(0), { offset: 1n, timestampMs: 't1', rows: 0 }, ...messages(2)]
    expect(plan({ pending, maxRows: 2 })).toEqual({ kind: 'fresh', messages: 3 })
  })

  it('replays a recorded batch exactly, whatever maxRows says, once all its offsets are fetched', () => {
    const recorded = entry(10, 14)
    const pending = messages(10, 11, 12, 13, 14, 15, 16)
    expect(plan({ pending, entries: [recorded], maxRows: 2 })).toEqual({
      kind: 'replay',
      entry: recorded,
      messages: 5,
    })
  })

  it('waits for the rest of a recorded batch rather than cutting it short, even when due', () => {
    const pending = messages(10, 11, 12)
    expect(plan({ pending, entries: [entry(10, 14)], flush: true })).toEqual({ kind: 'wait' })
  })

  it('replays a recorded batch whose last offsets hold no message once the fetch has passed them', () => {
    const recorded = entry(10, 14)
    const pending = messages(10, 11)
    expect(plan({ pending, entries: [recorded], consumedThrough: 14n })).toEqual({
      kind: 'replay',
      entry: recorded,
      messages: 2,
    })
  })

  it('ends a fresh batch where the next recorded batch begins', () => {
    const pending = messages(10, 11, 12, 13)
    expect(plan({ pending, entries: [entry(12, 13)] })).toEqual({ kind: 'fresh', messages: 2 })
  })

  it('cuts a fresh batch up to a recorded one once every offset before it has been fetched', () => {
    const pending = messages(10)
    expect(plan({ pending, entries: [entry(12, 13)], consumedThrough: 11n })).toEqual({
      kind: 'fresh',
      messages: 1,
    })
  })

  it('ignores a recorded batch of an earlier incarnation of the topic (same offset, other timestamp)', () => {
    const pending = messages(0, 1, 2)
    const stale = entry(0, 1, { firstTimestampMs: 'long ago' })
    expect(plan({ pending, entries: [stale], flush: true })).toEqual({ kind: 'fresh', messages: 3 })
  })

  it('ignores recorded batches that start before the first pending message', () => {
    const pending = messages(5, 6)
    expect(plan({ pending, entries: [entry(0, 4), entry(3, 8)], flush: true })).toEqual({
      kind: 'fresh',
      messages: 2,
    })
  })

  it('replays recorded batches already marked written like the others (the caller only commits them)', () => {
    const written = entry(0, 1, { written: true })
    expect(plan({ pending: messages(0, 1, 2), entries: [written] })).toEqual({
      kind: 'replay',
      entry: written,
      messages: 2,
    })
  })
})
