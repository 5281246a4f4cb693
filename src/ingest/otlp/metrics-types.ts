import type { InstrumentationScope, KeyValue, Resource } from './otlp-types.ts'

/**
 * A normalized, in-memory form of an OTLP `ExportMetricsServiceRequest`
 * (opentelemetry-proto `collector/metrics/v1/metrics_service.proto`, `metrics/v1/metrics.proto`),
 * what the JSON decoder produces for `mapMetrics`. The protobuf path writes columns straight
 * from the wire instead (`decode-metrics-columnar.ts`).
 *
 * Only what release-health stores is kept: exemplars, descriptions, metadata and schema urls
 * are skipped while decoding. Counts are numbers (uint64 counts past 2^53 are not real).
 */
export interface MetricsRequest {
  readonly resourceMetrics: readonly ResourceMetrics[]
}

export interface ResourceMetrics {
  readonly resource: Resource
  readonly scopeMetrics: readonly ScopeMetrics[]
}

export interface ScopeMetrics {
  readonly scope: InstrumentationScope
  readonly metrics: readonly Metric[]
}

export interface Metric {
  readonly name: string
  readonly unit: string
  /** Undefined when the metric sets no data case (nothing to store). */
  readonly data: MetricData | undefined
}

export type MetricData =
  | { readonly type: 'gauge'; readonly points: readonly NumberPoint[] }
  | {
      readonly type: 'sum'
      readonly temporality: number
      readonly isMonotonic: boolean
      readonly points: readonly NumberPoint[]
    }
  | {
      readonly type: 'histogram'
      readonly temporality: number
      readonly points: readonly HistogramPoint[]
    }
  | {
      readonly type: 'exponential_histogram'
      readonly temporality: number
      readonly points: readonly ExponentialHistogramPoint[]
    }
  | { readonly type: 'summary'; readonly points: readonly SummaryPoint[] }

interface PointCommon {
  readonly attributes: readonly KeyValue[]
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
  readonly flags: number
}

export interface NumberPoint extends PointCommon {
  /** `as_double`, or `as_int` as a double (exact below 2^53). */
  readonly value: number
}

export interface HistogramPoint extends PointCommon {
  readonly count: number
  readonly sum: number | null
  readonly min: number | null
  readonly max: number | null
  readonly bucketCounts: readonly number[]
  readonly explicitBounds: readonly number[]
}

export interface ExponentialBuckets {
  readonly offset: number
  readonly bucketCounts: readonly number[]
}

export interface ExponentialHistogramPoint extends PointCommon {
  readonly count: number
  readonly sum: number | null
  readonly min: number | null
  readonly max: number | null
  readonly scale: number
  readonly zeroCount: number
  readonly zeroThreshold: number
  readonly positive: ExponentialBuckets
  readonly negative: ExponentialBuckets
}

export interface SummaryPoint extends PointCommon {
  readonly count: number
  readonly sum: number
  readonly quantiles: readonly number[]
  readonly quantileValues: readonly number[]
}

export const NO_BUCKETS: ExponentialBuckets = Object.freeze({ offset: 0, bucketCounts: [] })
