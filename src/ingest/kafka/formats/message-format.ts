import type { EventRow } from '../../../model/event-row.ts'
import type { SpanRow } from '../../../model/span-row.ts'

/**
 * How a topic's messages are encoded: the OpenTelemetry Collector kafkaexporter encodings of
 * trace data (`otlp_proto`, `otlp_json`), or release events (`json`, docs/kafka-json-events.md).
 */
export const MESSAGE_FORMATS = ['otlp_proto', 'otlp_json', 'json'] as const

export type MessageFormat = (typeof MESSAGE_FORMATS)[number]

export function isMessageFormat(value: string): value is MessageFormat {
  return (MESSAGE_FORMATS as readonly string[]).includes(value)
}

/** The rows of one message, for the table they belong in. */
export type MessageRows =
  | { readonly table: 'spans'; readonly rows: readonly SpanRow[] }
  | { readonly table: 'events'; readonly rows: readonly EventRow[] }

/**
 * What one Kafka message becomes: rows to store, or a poison message for the dead letters.
 * A message can be partly valid (an OTLP request with some invalid spans): its valid rows are
 * kept and `rejectedRows` counts the others.
 */
export type DecodedMessage =
  | (MessageRows & {
      readonly kind: 'rows'
      readonly rejectedRows: number
      /** Why the first rejected row was rejected. */
      readonly rejection: string | undefined
    })
  | { readonly kind: 'poison'; readonly error: string }
