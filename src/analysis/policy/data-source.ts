/**
 * Where an analysis reads its requests, errors and latency: entry spans (the default), or an
 * OTLP metric for services that export metrics but no traces.
 */
export type DataSource = SpansSource | MetricsSource

/**
 * Which spans: those release-health ingests (`spans`), or those the OpenTelemetry Collector's
 * ClickHouse exporter writes into its traces table (`otel_traces`, read-only; the instance
 * names the table in `clickhouse.otelTraces.table`).
 */
export type SpanTable = 'spans' | 'otel_traces'

export const SPAN_TABLES = ['spans', 'otel_traces'] as const satisfies readonly SpanTable[]

export interface SpansSource {
  readonly kind: 'spans'
  /** Left out: the instance's default (`otel_traces` when it reads that table by default). */
  readonly table?: SpanTable
}

/** Data points of one metric, those whose attributes carry the given values. */
export interface MetricSelector {
  readonly metric: string
  /** Point attribute -> the value it must have (as text). */
  readonly where: Readonly<Record<string, string>>
}

/** Which requests failed: the requests' points whose attributes say so, or another counter. */
export type ErrorRule =
  | {
      readonly kind: 'attributes'
      /** A point counts as failed when this attribute is a status code of at least `minStatus`... */
      readonly statusAttribute: string
      readonly minStatus: number
      /** ...or when this attribute is present and not empty ('' = not used). */
      readonly errorTypeAttribute: string
    }
  | ({ readonly kind: 'metric' } & MetricSelector)

export interface MetricsSource {
  readonly kind: 'metrics'
  /** Requests: a histogram's count, or a monotonic counter (sum), increase per minute. */
  readonly requests: MetricSelector
  readonly errors: ErrorRule
  /** Latency: a histogram (explicit or exponential buckets); null when there is none. */
  readonly latency: MetricSelector | null
}

/**
 * The semantic conventions' HTTP server duration histogram: its count is the requests, its
 * buckets the latency, and a point with `http.response.status_code` ≥ 500 or an `error.type`
 * counts failed requests (semantic conventions, "HTTP server metrics").
 */
export const DEFAULT_REQUEST_METRIC = 'http.server.request.duration'

export const DEFAULT_STATUS_ATTRIBUTE = 'http.response.status_code'

export const DEFAULT_ERROR_RULE: ErrorRule = Object.freeze({
  kind: 'attributes',
  statusAttribute: DEFAULT_STATUS_ATTRIBUTE,
  minStatus: 500,
  errorTypeAttribute: 'error.type',
})

/** Spans from the instance's default span table. */
export const SPANS_SOURCE: SpansSource = Object.freeze({ kind: 'spans' })

/** Spans from the Collector ClickHouse exporter's table, whatever the instance's default. */
export const OTEL_TRACES_SOURCE: SpansSource = Object.freeze({
  kind: 'spans',
  table: 'otel_traces',
})
