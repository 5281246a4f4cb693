/** Resumes fetching from a partition that was paused. */
export type Resume = () => void

export interface FlowControl {
  /** Rows buffered or being written, over all partitions. */
  readonly heldRows: number
  hold(rows: number): void
  /** Releases written or dropped rows, resuming the paused partitions once below the limit. */
  release(rows: number): void
  /** Pauses the calling partition (with the given pause function) while the limit is reached. */
  pauseIfSaturated(pause: () => Resume): void
}

/**
 * Backpressure between fetching and writing: when the writer falls behind and `maxHeldRows`
 * rows wait, the partitions that keep delivering are paused (KafkaJS stops fetching them) and
 * resumed when written rows are released. Heartbeats go on while paused, so the group keeps
 * its members.
 */
export function createFlowControl(maxHeldRows: number): FlowControl {
  let heldRows = 0
  const paused: Resume[] = []
  return {
    get heldRows() {
      return heldRows
    },
    hold(rows) {
      heldRows += rows
    },
    release(rows) {
      heldRows -= rows
      if (heldRows < maxHeldRows) for (const resume of paused.splice(0)) resume()
    },
    pauseIfSaturated(pause) {
      if (heldRows >= maxHeldRows) paused.push(pause())
    },
  }
}
