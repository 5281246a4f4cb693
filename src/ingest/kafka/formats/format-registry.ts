import type { MappingOptions } from '../../../model/to-span-rows.ts'
import type { EventsChunkBuilder } from '../../../store/events-block.ts'
import { decodeJsonEvent } from './decode-json-event.ts'
import { decodeOtlpMetrics } from './decode-otlp-metrics.ts'
import { decodeOtlpTraces } from './decode-otlp-traces.ts'
import type { FormatResult } from './message-format.ts'

export interface DecodeOptions {
  readonly mapping: MappingOptions
  /** Larger messages are not decoded (`kafka.maxMessageBytes`). */
  readonly maxMessageBytes: number
}

/** A topic format: what its messages carry and how one message becomes rows. */
export interface KafkaFormat {
  /** For `--help`, the README and error messages. */
  readonly carries: string
  /**
   * Decodes one non-empty message value of at most `maxMessageBytes`. May throw (the caller
   * makes any exception a dead letter with its message); returns rows, some rows with rejected
   * items, a release event added to the fetch's `events` chunk, or a poison verdict.
   */
  decode(value: Buffer, options: DecodeOptions, events: () => EventsChunkBuilder): FormatResult
}

/**
 * The formats `kafka.topics` entries can name (`topic:format`). Everything else in the Kafka
 * path (buffering, batching, the ledger, dead letters, exactly-once) is the same for all, so a
 * new format is one entry here. The OpenTelemetry Collector's kafka exporter writes each
 * signal to its own topic in `otlp_proto` or `otlp_json`: traces are `otlp_proto`/`otlp_json`,
 * metrics `otlp_metrics_proto`/`otlp_metrics_json`; logs will be entries such as
 * `otlp_logs_proto: { carries: ..., decode: (value, options) => decodeOtlpLogs(...) }` once
 * their decoders and tables exist (their rows then join `MessageRows`).
 */
export const KAFKA_FORMATS = {
  otlp_proto: {
    carries: 'OTLP traces, protobuf (the Collector kafka exporter, encoding otlp_proto)',
    decode: (value, options) => decodeOtlpTraces('otlp_proto', value, options.mapping),
  },
  otlp_json: {
    carries: 'OTLP traces, JSON (the Collector kafka exporter, encoding otlp_json)',
    decode: (value, options) => decodeOtlpTraces('otlp_json', value, options.mapping),
  },
  otlp_metrics_proto: {
    carries:
      "OTLP metrics, protobuf (the Collector kafka exporter's metrics topic, encoding otlp_proto)",
    decode: (value, options) => decodeOtlpMetrics('otlp_proto', value, options.mapping),
  },
  otlp_metrics_json: {
    carries:
      "OTLP metrics, JSON (the Collector kafka exporter's metrics topic, encoding otlp_json)",
    decode: (value, options) => decodeOtlpMetrics('otlp_json', value, options.mapping),
  },
  json: {
    carries: 'release events, one JSON object a message (docs/kafka-json-events.md)',
    decode: (value, options, events) =>
      decodeJsonEvent(value, { maxAttributes: options.mapping.maxAttributesPerSpan }, events),
  },
} as const satisfies Readonly<Record<string, KafkaFormat>>

export type MessageFormat = keyof typeof KAFKA_FORMATS

export const MESSAGE_FORMATS = Object.keys(KAFKA_FORMATS) as readonly MessageFormat[]

export function isMessageFormat(value: string): value is MessageFormat {
  return Object.hasOwn(KAFKA_FORMATS, value)
}
