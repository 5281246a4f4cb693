/**
 * What the planner needs to know of the buffered messages, read by position from the front
 * (0 is the oldest), in increasing offset order: the buffer holds runs of messages, but every
 * boundary is chosen at a message, since a batch recorded by another worker may end anywhere
 * inside a run.
 */
export interface PendingMessages {
  readonly count: number
  offsetAt(index: number): bigint
  /** The Kafka record timestamp, milliseconds as a decimal string. */
  timestampMsAt(index: number): string
  rowsAt(index: number): number
  /**
   * How many messages from `index` on (itself included) hold one row each, or fewer: a count
   * the planner may step over at once instead of reading each message's rows.
   */
  oneRowStretchAt(index: number): number
}

/** A batch recorded in the ledger (`kafka_batches`) by this or an earlier worker. */
export interface LedgerEntry {
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  readonly firstTimestampMs: string
  readonly token: string
  /** Its rows are known to be stored: a replay only needs to commit. */
  readonly written: boolean
}

export interface PlanInput {
  /** Buffered messages not yet in a written batch, in offset order. */
  readonly pending: PendingMessages
  /** Every offset up to this one has been fetched (offsets without a message included). */
  readonly consumedThrough: bigint
  /** Ledger entries of this partition, in offset order; older ones are ignored. */
  readonly entries: readonly LedgerEntry[]
  readonly maxRows: number
  /** Cut whatever is pending now (the oldest message has waited long enough). */
  readonly flush: boolean
}

/**
 * The next batch to write, as a count of pending messages from the front:
 * - `replay`: a ledger entry starts at the first pending message, so the batch is exactly that
 *   entry's range with its token, whatever the size or the wait; it waits until every
 *   message of the range has been fetched.
 * - `fresh`: no entry covers the front; a new batch of up to `maxRows` rows that stops before
 *   the next recorded entry, cut when full, when it reaches that entry, or on `flush`.
 * - `wait`: nothing to cut yet.
 */
export type BatchPlan =
  | { readonly kind: 'wait' }
  | { readonly kind: 'replay'; readonly entry: LedgerEntry; readonly messages: number }
  | { readonly kind: 'fresh'; readonly messages: number }

const WAIT: BatchPlan = { kind: 'wait' }

/**
 * Decides where the next batch of a partition ends: the one place where batch boundaries are
 * chosen, so that a worker replaying a partition after a crash cuts it exactly as the dead
 * worker did wherever that worker recorded its batches.
 *
 * An entry is matched by its first offset and that message's timestamp (a re-created topic
 * reuses offsets). Entries that start before the first pending message are behind the
 * committed offset, or (only when a group had no committed offset and workers started at
 * different positions) straddle it; neither can be replayed from here, so both are ignored.
 * Pure: the same input always gives the same plan.
 */
export function planNextBatch(input: PlanInput): BatchPlan {
  const { pending } = input
  if (pending.count === 0) return WAIT
  const firstOffset = pending.offsetAt(0)
  const entry = input.entries.find(
    (candidate) =>
      candidate.firstOffset === firstOffset &&
      candidate.firstTimestampMs === pending.timestampMsAt(0),
  )
  if (entry !== undefined) {
    if (input.consumedThrough < entry.lastOffset) return WAIT
    return { kind: 'replay', entry, messages: countThrough(pending, entry.lastOffset) }
  }
  const boundary = input.entries.find((candidate) => candidate.firstOffset > firstOffset)
  return planFresh(input, boundary?.firstOffset)
}

function planFresh(input: PlanInput, boundary: bigint | undefined): BatchPlan {
  const { pending, maxRows } = input
  // The first message at or past the boundary, found once: offsets increase.
  const limit = boundary === undefined ? pending.count : countBelow(pending, boundary)
  let rows = 0
  let count = 0
  while (count < pending.count) {
    if (count >= limit) return { kind: 'fresh', messages: count }
    // Messages of one row each: take them up to the boundary or until the batch is full.
    const stretch = rows < maxRows ? pending.oneRowStretchAt(count) : 0
    if (stretch > 1) {
      const taken = Math.min(stretch, maxRows - rows, limit - count)
      rows += taken
      count += taken
      if (rows >= maxRows) return { kind: 'fresh', messages: count }
      continue
    }
    const messageRows = pending.rowsAt(count)
    if (count > 0 && rows + messageRows > maxRows) return { kind: 'fresh', messages: count }
    rows += messageRows
    count++
    if (rows >= maxRows) return { kind: 'fresh', messages: count }
  }
  // Everything pending fits. It is complete when all offsets before the boundary are fetched.
  const upToBoundary = boundary !== undefined && input.consumedThrough >= boundary - 1n
  return upToBoundary || input.flush ? { kind: 'fresh', messages: count } : WAIT
}

/** How many messages from the front have an offset at or below `lastOffset`. */
function countThrough(pending: PendingMessages, lastOffset: bigint): number {
  return countBelow(pending, lastOffset + 1n)
}

/** How many messages from the front have an offset below `offset` (a binary search). */
function countBelow(pending: PendingMessages, offset: bigint): number {
  let low = 0
  let high = pending.count
  while (low < high) {
    const middle = (low + high) >> 1
    if (pending.offsetAt(middle) < offset) low = middle + 1
    else high = middle
  }
  return low
}
