/** Where one assigned partition stands, for `/metrics` and the readiness answer. */
export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Offset after the partition's last message, as the last fetch reported it. */
  readonly highWatermark: bigint
  /** The next offset to write: the last commit of this worker, else the first offset fetched. */
  readonly nextOffset: bigint
  /**
   * Messages on the broker not yet written and committed by this worker. It is as current as
   * the last fetch: a partition paused by backpressure shows the lag it had when it paused.
   */
  readonly lag: bigint
}

export interface LagTracker {
  /** A fetch of `topic`/`partition` starting at `firstOffset` saw this high watermark. */
  fetched(topic: string, partition: number, firstOffset: bigint, highWatermark: bigint): void
  /** The worker committed `offset` (the next offset to consume). */
  committed(topic: string, partition: number, offset: bigint): void
  /** Forgets the partitions the worker no longer owns. */
  retain(assignment: Readonly<Record<string, readonly number[]>>): void
  snapshot(): PartitionLag[]
}

export function createLagTracker(): LagTracker {
  const partitions = new Map<
    string,
    { topic: string; partition: number; high: bigint; next: bigint }
  >()
  const keyOf = (topic: string, partition: number): string => JSON.stringify([topic, partition])
  return {
    fetched(topic, partition, firstOffset, highWatermark) {
      const known = partitions.get(keyOf(topic, partition))
      if (known === undefined) {
        partitions.set(keyOf(topic, partition), {
          topic,
          partition,
          high: highWatermark,
          next: firstOffset,
        })
      } else {
        known.high = highWatermark
      }
    },
    committed(topic, partition, offset) {
      const known = partitions.get(keyOf(topic, partition))
      if (known !== undefined && offset > known.next) known.next = offset
    },
    retain(assignment) {
      for (const [key, known] of partitions) {
        if (!(assignment[known.topic] ?? []).includes(known.partition)) partitions.delete(key)
      }
    },
    snapshot() {
      return [...partitions.values()]
        .map(({ topic, partition, high, next }) => ({
          topic,
          partition,
          highWatermark: high,
          nextOffset: next,
          lag: high > next ? high - next : 0n,
        }))
        .sort((a, b) =>
          a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
        )
    },
  }
}
