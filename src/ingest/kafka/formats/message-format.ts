import type { EventRow } from '../../../model/event-row.ts'
import type { SpanRow } from '../../../model/span-row.ts'

/**
 * The row type of each table a Kafka format can fill. A format for a new table (OTLP logs,
 * metric points) adds its table here, beside its entry in `KAFKA_FORMATS`.
 */
export interface RowsByTable {
  readonly spans: SpanRow
  readonly events: EventRow
}

/** The rows of one message, for the table they belong in. */
export type MessageRows = {
  readonly [Table in keyof RowsByTable]: {
    readonly table: Table
    readonly rows: readonly RowsByTable[Table][]
  }
}[keyof RowsByTable]

/**
 * An item of a partly valid message that was left out (a span with a base64 trace id, say):
 * it goes to the dead letters on its own, with where it was and why.
 */
export interface RejectedItem {
  /** Its position among the message's items (spans), counting from 0 in message order. */
  readonly index: number
  /** Why, naming the item and its path in the message. */
  readonly reason: string
  /** The item alone, as a message of the topic's format; null when it could not be cut out. */
  readonly payload: Buffer | null
}

/**
 * What one Kafka message becomes: rows to store, or a poison message for the dead letters.
 * A message can be partly valid (an OTLP request with some invalid spans): its valid rows are
 * kept and each rejected item is listed.
 */
export type DecodedMessage =
  | (MessageRows & {
      readonly kind: 'rows'
      readonly rejectedItems: readonly RejectedItem[]
    })
  | { readonly kind: 'poison'; readonly error: string }
