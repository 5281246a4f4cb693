import {
  messagesIn,
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
  /** Buffer slots it takes in the flow control (`heldRowsOf`). */
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
  let count = 0
  // Where the last lookup by position landed: the planner reads the messages in order.
  let cursorRun = 0
  let cursorStart = 0

  /** The run holding message `index` (0 <= index < count), and the index within it. */
  const locate = (index: number): ConsumedRun => {
    if (index < cursorStart) {
      cursorRun = 0
      cursorStart = 0
    }
    let run = runs[cursorRun] as ConsumedRun
    let size = messagesIn(run)
    while (index >= cursorStart + size) {
      cursorStart += size
      cursorRun++
      run = runs[cursorRun] as ConsumedRun
      size = messagesIn(run)
    }
    return run
  }
  const resetCursor = (): void => {
    cursorRun = 0
    cursorStart = 0
  }
  const checkIndex = (index: number): void => {
    if (!(index >= 0 && index < count)) throw new RangeError(`no pending message ${index}`)
  }

  return {
    get count() {
      return count
    },
    offsetAt(index) {
      checkIndex(index)
      const run = locate(index)
      return run.kind === 'message' ? run.offset : (run.offsets[index - cursorStart] as bigint)
    },
    timestampMsAt(index) {
      checkIndex(index)
      const run = locate(index)
      return run.kind === 'message'
        ? run.timestampMs
        : String(run.timestampsMs[index - cursorStart])
    },
    rowsAt(index) {
      checkIndex(index)
      const run = locate(index)
      return run.kind === 'message' ? run.rows : 1
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
        while (skip < run.offsets.length && (run.offsets[skip] as bigint) <= after) skip++
        kept = skip === run.offsets.length ? undefined : sliceRun(run, skip, run.offsets.length)
      }
      if (kept === undefined) return 0
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
        const size = messagesIn(whole)
        const run = size <= left ? whole : sliceRun(whole as ConsumedEventRun, 0, left)
        left -= messagesIn(run)
        taken.push(run)
        rows += rowsIn(run)
        heldRows += heldRowsOf(run)
        rejectedRows += rejectedRowsIn(run)
      }
      const first = taken[0] as ConsumedRun
      const last = taken[taken.length - 1] as ConsumedRun
      return {
        runs: taken,
        messages,
        firstOffset: first.kind === 'message' ? first.offset : (first.offsets[0] as bigint),
        lastOffset:
          last.kind === 'message' ? last.offset : (last.offsets[last.offsets.length - 1] as bigint),
        firstTimestampMs:
          first.kind === 'message' ? first.timestampMs : String(first.timestampsMs[0]),
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
      if (left > 0) {
        const cut = runs[0] as ConsumedEventRun
        runs[0] = sliceRun(cut, left, messagesIn(cut))
      }
      count -= messages
      resetCursor()
    },

    clear() {
      const held = runs.reduce((sum, run) => sum + heldRowsOf(run), 0)
      runs.length = 0
      count = 0
      resetCursor()
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

function rowsIn(run: ConsumedRun): number {
  return run.kind === 'message' ? run.rows : run.to - run.from
}

/** Buffer slots a run takes: each message its rows, and one for a poison message. */
function heldRowsOf(run: ConsumedRun): number {
  return run.kind === 'message' ? Math.max(1, run.rows) : run.to - run.from
}

function rejectedRowsIn(run: ConsumedRun): number {
  return run.kind === 'message' ? rejectedRowsOf(run) : 0
}

function rejectedRowsOf(message: ConsumedMessage): number {
  return message.decoded.kind === 'rows' ? message.decoded.rejectedItems.length : 0
}
