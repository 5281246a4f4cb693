import { MAX_START_NS, quote } from './span-rules.ts'

/**
 * The rules that turn an OTLP log record into a `logs` row, shared by the mapping over
 * decoded objects (`map-logs.ts`: OTLP/JSON) and the protobuf decoder that writes columns
 * straight from the wire (`decode-logs-columnar.ts`). A test holds the two to the same rows.
 *
 * Service, release and environment come from the resource as for spans (then the record's
 * own attributes); a `feature_flag.evaluation` event (span-rules `FLAG_EVENT_NAMES`, read from
 * the record's `event_name`, else its older `event.name` attribute) carries a flag key and
 * variant by the same attribute names as the span event.
 */

/** Where a record names its event before `LogRecord.event_name` existed (semconv < 1.27). */
export const EVENT_NAME_ATTRIBUTE = 'event.name'

export const LOG_TRACE_ID_BYTES = 16
export const LOG_SPAN_ID_BYTES = 8

/** `SeverityNumber` is an enum of 0-24; anything outside a byte is stored as 0 (unspecified). */
export function toSeverityNumber(value: number): number {
  return Number.isInteger(value) && value >= 0 && value <= 255 ? value : 0
}

/**
 * When the record happened: its time, else when it was observed, else when it was received
 * (OTLP allows both to be unset).
 */
export function toLogTimestamp(timeNs: bigint, observedNs: bigint, receivedNs: bigint): bigint {
  return timeNs > 0n ? timeNs : observedNs > 0n ? observedNs : receivedNs
}

export function toObservedTimestamp(observedNs: bigint, receivedNs: bigint): bigint {
  return observedNs > 0n ? observedNs : receivedNs
}

export function logTimeProblem(timestampNs: bigint): string | undefined {
  return timestampNs >= MAX_START_NS
    ? `timeUnixNano ${timestampNs} is past 2262-04-11, the latest time ClickHouse's DateTime64(9) holds`
    : undefined
}

/**
 * A trace or span id of a log record: absent (0 bytes) or of its exact length. Unlike a span's
 * own ids these are optional, so an all-zero id reads as absent rather than invalid.
 */
export function logIdProblem(name: string, bytes: number, expected: number): string | undefined {
  return bytes === 0 || bytes === expected
    ? undefined
    : `${name} must be 0 or ${expected} bytes, got ${bytes}`
}

export function logNotHexIdProblem(name: string, expected: number, id: string): string {
  return `${name} must be 0 or ${expected} bytes as hex (OTLP/JSON ids are hex, not base64), got ${quote(id)}`
}

export function expiredLogProblem(retentionDays: number | undefined): string {
  return `it happened before the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

export function expiredLogsMessage(expired: number, retentionDays: number | undefined): string {
  return `${expired} log records are older than the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

/** Names a refused record by where it was in the request, for `partial_success`. */
export function logRejectionMessage(r: number, s: number, i: number, problem: string): string {
  return `log record resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]: ${problem}`
}
