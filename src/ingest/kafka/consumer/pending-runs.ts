import {
  messagesIn,
  offsetIn,
  timestampMsIn,
  type ConsumedEventRun,
  type ConsumedMessage,
  type ConsumedRun,
} from '../consumed-message.ts'
import type { PendingMessages } from '../ledger/plan-next-batch.ts'

/** The first messages of the buffer, as a batch to claim and write. */
export interface PendingBatch {
  /** Its runs, a run that the batch ends inside cut at the batch's last message. */
  readonly runs: readonly ConsumedRun[]
  readonly messages: number
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly firstTimestampMs: string
  readonly rows: number
  /** Buffer slots it takes in the flow control: each message its rows, a poison message 1. */
  readonly heldRows: number
  readonly rejectedRows: number
}

/**
 * A partition's buffered messages, in offset order, held as runs (`toConsumedRuns`) and read
 * by the planner one message at a time. Batches are taken from the front; one may end inside a
 * run, which is then cut in two (views of the same typed arrays, nothing copied).
 */
export interface PendingRuns extends PendingMessages {
  /** When the oldest buffered message was received, or undefined when there is none. */
  readonly oldestReceivedAtMs: number | undefined
  /** Buffers the messages of `run` with offsets after `after`; returns the slots they take. */
  push(run: ConsumedRun, after: bigint): number
  /** The first `count` messages (1 or more) as a batch; they stay buffered. */
  front(count: number): PendingBatch
  /** Drops the first `count` messages, once their batch is written. */
  drop(count: number): void
  /** Drops everything; returns the slots it took. */
  clear(): number
}

export function createPendingRuns(): PendingRuns {
  const runs: ConsumedRun[] = []
  /** Where each run starts, counting every message ever buffered (`starts[0]` is `dropped`). */
  const starts: number[] = []
  let dropped = 0
  let count = 0
  // The run the last lookup landed in: the planner mostly reads the messages in order.
  let cursor = 0

  /** The index in `runs` of the run holding message `index` (0 <= index < count). */
  const locate = (index: number): number => {
    if (!(index >= 0 && index < count)) throw new RangeError(`no pending message ${index}`)
    const at = dropped + index
    const inRun = (run: number): boolean =>
      run < runs.length &&
      (starts[run] as number) <= at &&
      at < (starts[run] as number) + messagesIn(runs[run] as ConsumedRun)
    if (inRun(cursor)) return cursor
    if (inRun(cursor + 1)) return ++cursor
    let low = 0
    let high = runs.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if ((starts[middle] as number) <= at) low = middle
      else high = middle - 1
    }
    cursor = low
    return low
  }
  /** Where message `index` lies within run `run`. */
  const within = (index: number, run: number): number => dropped + index - (starts[run] as number)

  return {
    get count() {
      return count
    },
    offsetAt(index) {
      const run = locate(index)
      return offsetIn(runs[run] as ConsumedRun, within(index, run))
    },
    timestampMsAt(index) {
      const run = locate(index)
      return timestampMsIn(runs[run] as ConsumedRun, within(index, run))
    },
    rowsAt(index) {
      const run = runs[locate(index)] as ConsumedRun
      return run.kind === 'message' ? run.rows : 1
    },
    oneRowStretchAt(index) {
      const run = locate(index)
      const held = runs[run] as ConsumedRun
      if (held.kind === 'message') return held.rows === 1 ? 1 : 0
      return messagesIn(held) - within(index, run)
    },
    get oldestReceivedAtMs() {
      return runs[0]?.receivedAtMs
    },

    push(run, after) {
      let kept: ConsumedRun | undefined = run
      if (run.kind === 'message') {
        if (run.offset <= after) kept = undefined
      } else {
        let skip = 0
        while (skip < run.offsets.length && (run.offsets[skip] as number) <= after) skip++
        kept = skip === run.offsets.length ? undefined : sliceRun(run, skip, run.offsets.length)
      }
      if (kept === undefined) return 0
      starts.push(dropped + count)
      runs.push(kept)
      count += messagesIn(kept)
      return heldRowsOf(kept)
    },

    front(messages) {
      if (!(messages >= 1 && messages <= count)) throw new RangeError(`no batch of ${messages}`)
      const taken: ConsumedRun[] = []
      let left = messages
      let rows = 0
      let heldRows = 0
      let rejectedRows = 0
      for (let i = 0; left > 0; i++) {
        const whole = runs[i] as ConsumedRun
        // Only an event run holds more than one message, so only one can be cut.
        const run = messagesIn(whole) <= left ? whole : sliceRun(whole as ConsumedEventRun, 0, left)
        left -= messagesIn(run)
        taken.push(run)
        rows += run.kind === 'message' ? run.rows : messagesIn(run)
        heldRows += heldRowsOf(run)
        rejectedRows += run.kind === 'message' ? rejectedRowsOf(run) : 0
      }
      const first = taken[0] as ConsumedRun
      const last = taken[taken.length - 1] as ConsumedRun
      return {
        runs: taken,
        messages,
        firstOffset: offsetIn(first, 0),
        lastOffset: offsetIn(last, messagesIn(last) - 1),
        firstTimestampMs: timestampMsIn(first, 0),
        rows,
        heldRows,
        rejectedRows,
      }
    },

    drop(messages) {
      let whole = 0
      let left = messages
      while (whole < runs.length && messagesIn(runs[whole] as ConsumedRun) <= left) {
        left -= messagesIn(runs[whole] as ConsumedRun)
        whole++
      }
      runs.splice(0, whole)
      starts.splice(0, whole)
      dropped += messages
      if (left > 0) {
        const cut = runs[0] as ConsumedEventRun
        runs[0] = sliceRun(cut, left, messagesIn(cut))
        starts[0] = dropped
      }
      count -= messages
      cursor = 0
    },

    clear() {
      const held = runs.reduce((sum, run) => sum + heldRowsOf(run), 0)
      dropped += count
      runs.length = 0
      starts.length = 0
      count = 0
      cursor = 0
      return held
    },
  }
}

/** Messages `[start, end)` of an event run, as a run of its own. */
function sliceRun(run: ConsumedEventRun, start: number, end: number): ConsumedEventRun {
  return {
    kind: 'events',
    chunk: run.chunk,
    from: run.from + start,
    to: run.from + end,
    offsets: run.offsets.subarray(start, end),
    timestampsMs: run.timestampsMs.subarray(start, end),
    receivedAtMs: run.receivedAtMs,
  }
}

/** Buffer slots a run takes: each message its rows, and one for a poison message. */
function heldRowsOf(run: ConsumedRun): number {
  return run.kind === 'message' ? Math.max(1, run.rows) : messagesIn(run)
}

function rejectedRowsOf(message: ConsumedMessage): number {
  return message.decoded.kind === 'rows' ? message.decoded.rejectedItems.length : 0
}
