import { SPAN_KIND_NAMES, type SpanKindName } from './span-row.ts'

/**
 * The rules that turn an OTLP span into a `spans` row, shared by the two mappings that apply
 * them: `mapSpans` over decoded objects (OTLP/JSON, Kafka JSON) and the protobuf decoder that
 * writes columns straight from the wire (`decode-traces-columnar.ts`). A test holds the two to
 * the same output for the same requests.
 */

/** The `service.name` fallback, as the semantic conventions define when it is missing. */
export const UNKNOWN_SERVICE = 'unknown_service'

/** Span event names of a flag evaluation: current semantic conventions, then the legacy name. */
export const FLAG_EVENT_NAMES: readonly string[] = ['feature_flag.evaluation', 'feature_flag']
export const FLAG_KEY_ATTRIBUTE = 'feature_flag.key'
/** Where a flag evaluation's variant is read, first present wins. */
export const FLAG_VARIANT_ATTRIBUTES: readonly string[] = [
  'feature_flag.result.variant',
  'feature_flag.variant',
  'feature_flag.result.value',
]

/** The HTTP response status: current attribute, then the legacy one (read only when absent). */
export const HTTP_STATUS_ATTRIBUTE = 'http.response.status_code'
export const LEGACY_HTTP_STATUS_ATTRIBUTE = 'http.status_code'
export const HTTP_ROUTE_ATTRIBUTE = 'http.route'

/** Indexed by the `Status.StatusCode` value; unknown codes read as unset. */
export const STATUS_NAMES = ['unset', 'ok', 'error'] as const
export type StatusName = (typeof STATUS_NAMES)[number]

export const TRACE_ID_BYTES = 16
export const SPAN_ID_BYTES = 8
/**
 * Start times from 2100-01-01 on are refused. `DateTime64(9)` would hold them up to 2262, but
 * the retention TTLs and the per-minute tables use `DateTime`, which ends in 2106-02-07: a
 * later span would be stored, then silently dropped as expired (its TTL wraps around) and
 * counted in a wrong minute. 2100 leaves those years of room for the retention.
 */
export const MAX_START_NS = 4_102_444_800n * 1_000_000_000n
/** {@link MAX_START_NS} as two 32-bit words, for the decoder that reads fixed64 so. */
export const MAX_START_HIGH = 955_174_863
export const MAX_START_LOW = 1_453_719_552

const MAX_QUOTED_LENGTH = 64

export function toStatusName(code: number): StatusName {
  return STATUS_NAMES[code] ?? 'unset'
}

export function toKindName(kind: number): SpanKindName {
  return SPAN_KIND_NAMES[kind] ?? 'unspecified'
}

/** HTTP status from an int, double or string attribute; 0 when absent or not a status code. */
export function toHttpStatusCode(value: string | undefined): number {
  // Three digits, the first not 0: read by character codes (a regular expression and Number()
  // cost a tenth of the decoding of a span).
  if (value === undefined || value.length !== 3) return 0
  const hundreds = value.charCodeAt(0) - 0x30
  const tens = value.charCodeAt(1) - 0x30
  const units = value.charCodeAt(2) - 0x30
  if (hundreds < 1 || hundreds > 9 || tens < 0 || tens > 9 || units < 0 || units > 9) return 0
  return hundreds * 100 + tens * 10 + units
}

/** A failed request: status error, or an HTTP 5xx answered by a server span. */
export function isErrorSpan(status: StatusName, kind: SpanKindName, httpStatusCode: number): 0 | 1 {
  return status === 'error' || (kind === 'server' && httpStatusCode >= 500) ? 1 : 0
}

/** Request entry points: server and consumer spans, and roots (no parent, or an all-zero one). */
export function isEntrySpan(kind: SpanKindName, hasParent: boolean): 0 | 1 {
  return kind === 'server' || kind === 'consumer' || !hasParent ? 1 : 0
}

export function attributeCountProblem(count: number, limit: number): string | undefined {
  return count > limit ? `${count} attributes, more than the limit of ${limit}` : undefined
}

export function resourceAttributeCountProblem(count: number, limit: number): string | undefined {
  return count > limit
    ? `its resource has ${count} attributes, more than the limit of ${limit}`
    : undefined
}

export function startTooLateProblem(start: bigint | string): string {
  return `startTimeUnixNano ${start} is not before 2100-01-01, the latest start time the store keeps`
}

export function endBeforeStartProblem(end: bigint | string, start: bigint | string): string {
  return `endTimeUnixNano ${end} is before startTimeUnixNano ${start}`
}

/** An id of the wrong length: `expected` is "16", or "0 or 8" for a parent id. */
export function idLengthProblem(name: string, expected: string, gotBytes: number): string {
  return `${name} must be ${expected} bytes, got ${gotBytes}`
}

export function zeroIdProblem(name: string): string {
  return `${name} must not be all zeroes (an invalid id in OTLP)`
}

export function notHexIdProblem(name: string, expected: string, id: string): string {
  return `${name} must be ${expected} bytes as hex (OTLP/JSON ids are hex, not base64), got ${quote(id)}`
}

export function expiredProblem(retentionDays: number | undefined): string {
  return `it starts before the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

export function expiredMessage(expired: number, retentionDays: number | undefined): string {
  return `${expired} spans are older than the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

/** Names a refused span and where it was in the request, for `partial_success`. */
export function rejectionMessage(name: string, r: number, s: number, i: number, problem: string) {
  return `span ${quote(name)} (resourceSpans[${r}].scopeSpans[${s}].spans[${i}]): ${problem}`
}

/** A sender's text, JSON-quoted and cut short so that a huge value cannot bloat the message. */
export function quote(text: string): string {
  return JSON.stringify(
    text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}...` : text,
  )
}
