import type { EventsSlice } from '../../store/events-block.ts'
import type { DecodedMessage } from './formats/message-format.ts'

/**
 * A message taken from a partition and decoded, waiting in the partition's buffer until the
 * batch that holds it is written. Offsets are bigints: Kafka offsets are 64-bit.
 */
export interface ConsumedMessage {
  readonly kind: 'message'
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

/**
 * Consecutive release-event messages of one fetch that decoded to consecutive rows of its
 * events chunk, held as one object: message `i` of the run has offset `offsets[i]`, timestamp
 * `timestampsMs[i]` and row `from + i`. A buffered event then costs 16 bytes of typed arrays
 * instead of a few objects that live through the batch wait and get promoted and marked.
 * Only messages that carry nothing else are in a run: one row each, no rejected item, no key
 * kept, and an offset and a timestamp that a double holds exactly (`String(Number(s)) === s`,
 * offsets below 2^53): they read back as the same bigint and the same string.
 */
export interface ConsumedEventRun extends EventsSlice {
  readonly kind: 'events'
  readonly offsets: Float64Array
  readonly timestampsMs: Float64Array
  /** When this worker received the fetch (`Date.now()`), for the batch wait. */
  readonly receivedAtMs: number
}

/** What a partition buffers and a batch writes: a message, or a run of event messages. */
export type ConsumedRun = ConsumedMessage | ConsumedEventRun

/** How many messages a run holds. */
export function messagesIn(run: ConsumedRun): number {
  return run.kind === 'message' ? 1 : run.to - run.from
}

/** The offset of message `index` of a run. */
export function offsetIn(run: ConsumedRun, index: number): bigint {
  return run.kind === 'message' ? run.offset : BigInt(run.offsets[index] as number)
}

/** The Kafka timestamp of message `index` of a run, as KafkaJS gave it. */
export function timestampMsIn(run: ConsumedRun, index: number): string {
  return run.kind === 'message' ? run.timestampMs : String(run.timestampsMs[index])
}
