/** What the planner needs to know of a buffered message. */
export interface PlannedMessage {
  readonly offset: bigint
  readonly timestampMs: string
  readonly rows: number
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
  readonly pending: readonly PlannedMessage[]
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
  const first = input.pending[0]
  if (first === undefined) return WAIT
  const entry = input.entries.find(
    (candidate) =>
      candidate.firstOffset === first.offset && candidate.firstTimestampMs === first.timestampMs,
  )
  if (entry !== undefined) {
    if (input.consumedThrough < entry.lastOffset) return WAIT
    return { kind: 'replay', entry, messages: countThrough(input.pending, entry.lastOffset) }
  }
  const boundary = input.entries.find((candidate) => candidate.firstOffset > first.offset)
  return planFresh(input, boundary?.firstOffset)
}

function planFresh(input: PlanInput, boundary: bigint | undefined): BatchPlan {
  let rows = 0
  let count = 0
  for (const message of input.pending) {
    const reachesBoundary = boundary !== undefined && message.offset >= boundary
    const overflows = count > 0 && rows + message.rows > input.maxRows
    if (reachesBoundary || overflows) return { kind: 'fresh', messages: count }
    rows += message.rows
    count++
    if (rows >= input.maxRows) return { kind: 'fresh', messages: count }
  }
  // Everything pending fits. It is complete when all offsets before the boundary are fetched.
  const upToBoundary = boundary !== undefined && input.consumedThrough >= boundary - 1n
  return upToBoundary || input.flush ? { kind: 'fresh', messages: count } : WAIT
}

/** How many messages from the front have an offset at or below `lastOffset`. */
function countThrough(pending: readonly PlannedMessage[], lastOffset: bigint): number {
  let count = 0
  while (count < pending.length && (pending[count] as PlannedMessage).offset <= lastOffset) count++
  return count
}
