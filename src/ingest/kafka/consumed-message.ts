import type { DecodedMessage } from './formats/message-format.ts'

/**
 * A message taken from a partition and decoded, waiting in the partition's buffer until the
 * batch that holds it is written. Offsets are bigints: Kafka offsets are 64-bit.
 */
export interface ConsumedMessage {
  readonly offset: bigint
  /** The Kafka record timestamp, milliseconds as a decimal string. */
  readonly timestampMs: string
  readonly decoded: DecodedMessage
  /** Rows the message adds to its batch: 0 for a poison message. */
  readonly rows: number
  /**
   * Key and value are kept only for poison messages, the key also for messages with rejected
   * items: the dead letters store them.
   */
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** When this worker received it (`Date.now()`), for dead letters and the batch wait. */
  readonly receivedAtMs: number
}
