import type { EventsChunk, EventsSlice } from '../../../store/events-block.ts'
import type { MetricPointsChunk } from '../../../store/metric-points-block.ts'
import type { SpansChunk } from '../../../store/spans-block.ts'

/**
 * The rows of one message, for the table they belong in: spans and metric points as a chunk of
 * Native columns of their own (decoded as OTLP/HTTP requests are, and written the same way),
 * an event as its row's place in the events chunk of its fetch (`decodeMessages`): the message
 * is itself the slice its batch writes, one object fewer per buffered event. A
 * format for a new table (OTLP logs, metric points) adds its table here, beside its entry in
 * `KAFKA_FORMATS` and its writer in `write-batch.ts`.
 */
export type MessageRows =
  | { readonly table: 'spans'; readonly chunk: SpansChunk }
  | ({ readonly table: 'events' } & EventsSlice)
  | { readonly table: 'metric_points'; readonly chunk: MetricPointsChunk }

/** How many rows a message holds. */
export function rowCount(rows: MessageRows): number {
  return rows.table === 'events' ? rows.to - rows.from : rows.chunk.rows
}

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

/**
 * What a format's decoder makes of one message: a `DecodedMessage`, or a release event, added
 * as row `row` of the events chunk of the message's fetch.
 */
export type FormatResult = DecodedMessage | { readonly kind: 'event'; readonly row: number }

const NO_REJECTED_ITEMS = Object.freeze([])

/** The message of a release event: row `row` of its fetch's events chunk. */
export function eventMessage(chunk: EventsChunk, row: number): DecodedMessage {
  return {
    kind: 'rows',
    table: 'events',
    chunk,
    from: row,
    to: row + 1,
    rejectedItems: NO_REJECTED_ITEMS,
  }
}
