/**
 * One span as stored in the `spans` table: the OTLP span flattened and tagged with the
 * release-health dimensions (service, environment, release, flags) at ingest time.
 */
export interface SpanRow {
  /**
   * Span start as nanoseconds since the Unix epoch, decimal string (exceeds 2^53). Field
   * names are the column names of the `spans` table.
   */
  readonly timestamp: string
  readonly service: string
  readonly environment: string
  readonly release: string
  /** Feature flags evaluated in this span: flag key -> variant. */
  readonly flags: Readonly<Record<string, string>>
  readonly name: string
  readonly kind: SpanKindName
  readonly status_code: 'unset' | 'ok' | 'error'
  readonly status_message: string
  /** HTTP response status, 0 when the span is not an HTTP span. */
  readonly http_status_code: number
  readonly http_route: string
  /** 1 when the span counts as a failed request (status error, or HTTP 5xx on a server span). */
  readonly is_error: 0 | 1
  /** 1 for request entry points (server/consumer spans, or spans without a parent). */
  readonly is_entry: 0 | 1
  readonly duration_ns: string
  /** Lower-case hex. */
  readonly trace_id: string
  readonly span_id: string
  readonly parent_span_id: string
  readonly resource_attributes: Readonly<Record<string, string>>
  readonly span_attributes: Readonly<Record<string, string>>
}

export const SPAN_KIND_NAMES = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
] as const

export type SpanKindName = (typeof SPAN_KIND_NAMES)[number]
