import { describe, expect, it } from 'vitest'
import {
  planNextBatch,
  type LedgerEntry,
  type PendingMessages,
  type PlanInput,
} from '../../../src/ingest/kafka/ledger/plan-next-batch.ts'
import { offsetIn, type ConsumedRun } from '../../../src/ingest/kafka/consumed-message.ts'
import { createPendingRuns } from '../../../src/ingest/kafka/consumer/pending-runs.ts'
import { eventRun, singleMessage, timestampOf } from '../../helpers/consumed-runs.ts'

/** A buffered message as the planner reads it. */
interface PlannedMessage {
  readonly offset: bigint
  readonly timestampMs: string
  readonly rows: number
}

/** The planner's view of messages held one by one. */
function pendingOf(messages: readonly PlannedMessage[]): PendingMessages {
  const at = (index: number): PlannedMessage => {
    const message = messages[index]
    if (message === undefined) throw new RangeError(`no pending message ${index}`)
    return message
  }
  return {
    count: messages.length,
    offsetAt: (index) => at(index).offset,
    timestampMsAt: (index) => at(index).timestampMs,
    rowsAt: (index) => at(index).rows,
    // One by one: the planner then reads every message's rows.
    oneRowStretchAt: (index) => (at(index).rows === 1 ? 1 : 0),
  }
}

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

function plan(input: Partial<Omit<PlanInput, 'pending'>> & { pending: readonly PlannedMessage[] }) {
  const last = input.pending[input.pending.length - 1]
  return planNextBatch({
    consumedThrough: last?.offset ?? -1n,
    entries: [],
    maxRows: 100,
    flush: false,
    ...input,
    pending: pendingOf(input.pending),
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

/** A fixed-seed generator (mulberry32), so that the generated cases are the same every run. */
function random(seed: number): (below: number) => number {
  let state = seed
  return (below) => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * below)
  }
}

/** Buffered runs and the same messages one by one, with gaps in the offsets now and then. */
function generatedPending(next: (below: number) => number): {
  runs: ConsumedRun[]
  messages: PlannedMessage[]
} {
  const runs: ConsumedRun[] = []
  let offset = next(5)
  for (let n = 1 + next(6); n > 0; n--) {
    if (next(3) === 0) {
      runs.push(singleMessage(offset, next(4)))
      offset += 1 + (next(4) === 0 ? next(3) : 0)
      continue
    }
    const offsets: number[] = []
    for (let size = 1 + next(25); size > 0; size--) {
      offsets.push(offset)
      offset += 1 + (next(6) === 0 ? next(3) : 0)
    }
    runs.push(eventRun(offsets))
  }
  const messages = runs.flatMap((run): PlannedMessage[] =>
    run.kind === 'message'
      ? [{ offset: run.offset, timestampMs: run.timestampMs, rows: run.rows }]
      : [...run.offsets].map((at) => ({
          offset: BigInt(at),
          timestampMs: String(timestampOf(at)),
          rows: 1,
        })),
  )
  return { runs, messages }
}

/** Recorded batches starting at some pending messages (inside runs too), or between them. */
function generatedEntries(
  next: (below: number) => number,
  messages: readonly PlannedMessage[],
): LedgerEntry[] {
  const entries: LedgerEntry[] = []
  let index = next(4)
  while (index < messages.length) {
    const first = (messages[index] as PlannedMessage).offset + (next(8) === 0 ? 1n : 0n)
    const last = first + BigInt(next(12))
    entries.push(
      entry(Number(first), Number(last), {
        firstTimestampMs: next(10) === 0 ? 'long ago' : String(timestampOf(first)),
      }),
    )
    while (index < messages.length && (messages[index] as PlannedMessage).offset <= last) index++
    index += next(10)
  }
  return entries
}

describe('planNextBatch over buffered runs', () => {
  it('ends a fresh batch inside a run where a recorded batch begins, then replays that batch from inside the run', () => {
    const pending = createPendingRuns()
    pending.push(eventRun([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), -1n)
    const recorded = entry(13, 15, { firstTimestampMs: String(timestampOf(13)) })
    const input = { consumedThrough: 19n, entries: [recorded], maxRows: 100, flush: false }
    expect(planNextBatch({ ...input, pending })).toEqual({ kind: 'fresh', messages: 3 })
    pending.drop(3)
    expect(planNextBatch({ ...input, pending })).toEqual({
      kind: 'replay',
      entry: recorded,
      messages: 3,
    })
    pending.drop(3)
    expect(planNextBatch({ ...input, entries: [], pending })).toEqual({ kind: 'wait' })
    expect(planNextBatch({ ...input, entries: [], pending, flush: true })).toEqual({
      kind: 'fresh',
      messages: 4,
    })
  })

  it('replays a recorded batch that ends inside a later run, over a message held on its own', () => {
    const pending = createPendingRuns()
    pending.push(eventRun([0, 1, 2]), -1n)
    pending.push(singleMessage(3, 0), -1n)
    pending.push(eventRun([4, 5, 6, 7]), -1n)
    const recorded = entry(1, 5, { firstTimestampMs: String(timestampOf(1)) })
    const input = { consumedThrough: 7n, entries: [recorded], maxRows: 2, flush: false }
    expect(planNextBatch({ ...input, pending })).toEqual({ kind: 'fresh', messages: 1 })
    pending.drop(1)
    expect(planNextBatch({ ...input, pending })).toEqual({
      kind: 'replay',
      entry: recorded,
      messages: 5,
    })
  })

  it('plans every batch of generated runs, fetched one after the other, exactly as it plans the same messages held one by one', () => {
    const next = random(20_261_127)
    const plans = { fresh: 0, replay: 0 }
    for (let trial = 0; trial < 500; trial++) {
      const { runs, messages } = generatedPending(next)
      let entries = generatedEntries(next, messages)
      const maxRows = next(41)
      const flush = next(2) === 0
      const pending = createPendingRuns()
      /** The messages written so far, and those fetched so far. */
      let written = 0
      let fetched = 0
      let consumedThrough = -1n
      // As the pipeline does: each run is appended, then batches are cut until one must wait.
      for (const run of runs) {
        pending.push(run, consumedThrough)
        fetched += run.kind === 'message' ? 1 : run.offsets.length
        consumedThrough = lastOf(run)
        for (;;) {
          const flat = messages.slice(written, fetched)
          const input = { consumedThrough, entries, maxRows, flush }
          const expected = planNextBatch({ ...input, pending: pendingOf(flat) })
          expect(planNextBatch({ ...input, pending }), `trial ${trial}`).toEqual(expected)
          if (expected.kind === 'wait') break
          plans[expected.kind]++
          const last = (flat[expected.messages - 1] as PlannedMessage).offset
          expect(pending.front(expected.messages).lastOffset).toBe(last)
          pending.drop(expected.messages)
          written += expected.messages
          expect(pending.count).toBe(fetched - written)
          entries = entries.filter((known) => known.firstOffset > last)
        }
      }
    }
    expect(plans.fresh).toBeGreaterThan(500)
    expect(plans.replay).toBeGreaterThan(500)
  })
})

function lastOf(run: ConsumedRun): bigint {
  return offsetIn(run, run.kind === 'message' ? 0 : run.offsets.length - 1)
}
