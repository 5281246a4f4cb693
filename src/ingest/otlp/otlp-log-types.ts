import type { AnyValue, InstrumentationScope, KeyValue, Resource } from './otlp-types.ts'

/**
 * A normalized, in-memory form of an OTLP `ExportLogsServiceRequest`
 * (opentelemetry-proto `collector/logs/v1/logs_service.proto`, `logs/v1/logs.proto`),
 * produced alike by the protobuf and the JSON decoder. Dropped-attribute counts, flags and
 * schema URLs are skipped while decoding.
 */
export interface LogsRequest {
  readonly resourceLogs: readonly ResourceLogs[]
}

export interface ResourceLogs {
  readonly resource: Resource
  readonly scopeLogs: readonly ScopeLogs[]
}

export interface ScopeLogs {
  readonly scope: InstrumentationScope
  readonly logRecords: readonly LogRecord[]
}

export interface LogRecord {
  /** When the event happened; 0 when unknown. */
  readonly timeUnixNano: bigint
  /** When a collector or SDK first saw the record; 0 when unset. */
  readonly observedTimeUnixNano: bigint
  /** `SeverityNumber`: 0 unspecified, 1-4 trace ... 21-24 fatal. */
  readonly severityNumber: number
  readonly severityText: string
  readonly body: AnyValue
  readonly attributes: readonly KeyValue[]
  /** Lower-case hex, or '' when the record belongs to no trace (see `Span.traceId`). */
  readonly traceId: string
  readonly spanId: string
  /** `LogRecord.event_name` (field 12): the event this record is, e.g. feature_flag.evaluation. */
  readonly eventName: string
}
