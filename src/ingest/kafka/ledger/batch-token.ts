import { createHash } from 'node:crypto'

/** Where a batch starts: a message of one partition, as read by one consumer group. */
export interface BatchStart {
  readonly groupId: string
  readonly topic: string
  readonly partition: number
  readonly firstOffset: bigint
  /**
   * Kafka timestamp (ms) of the message at `firstOffset`. Offsets restart at 0 when a topic is
   * deleted and created again; the timestamp tells the new messages from the old ones, whose
   * ledger entries and tokens must not be reused.
   */
  readonly firstTimestampMs: string
}

/** A batch: the messages of one partition from `firstOffset` to `lastOffset`, inclusive. */
export interface BatchRange extends BatchStart {
  readonly lastOffset: bigint
}

/**
 * The `insert_deduplication_token` of a batch's inserts: a digest of group, topic, partition,
 * offset range and first timestamp. The same batch always gets the same token, so inserting it
 * again (a retry, or a replay after a crash) is dropped by ClickHouse's deduplication. JSON
 * encoding keeps the fields apart whatever characters the names hold.
 */
export function toBatchToken(range: BatchRange): string {
  return `kafka-batch-v1-${digest([
    range.groupId,
    range.topic,
    range.partition,
    range.firstOffset.toString(),
    range.lastOffset.toString(),
    range.firstTimestampMs,
  ])}`
}

/**
 * The token of a batch's ledger intent. It leaves the last offset out on purpose: two workers
 * claiming batches that start at the same message insert the same token, so ClickHouse keeps
 * only the first claim, and both read that one back.
 */
export function toClaimToken(start: BatchStart): string {
  return `kafka-claim-v1-${digest([
    start.groupId,
    start.topic,
    start.partition,
    start.firstOffset.toString(),
    start.firstTimestampMs,
  ])}`
}

/** The token of the ledger row that marks a batch written. */
export function toWrittenToken(batchToken: string): string {
  return `${batchToken}-written`
}

function digest(fields: readonly (string | number)[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 32)
}
