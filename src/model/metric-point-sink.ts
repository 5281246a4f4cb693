import type { MappedResource } from './span-sink.ts'
import type { MetricTypeName, TemporalityName } from './metric-rules.ts'

/**
 * Where mapped metric data points go: the columnar block builder on the ingest path, a row
 * collector in tests. `mapMetrics` calls `beginResource` once per resource, then `append` for
 * each accepted data point of it. Both arguments are reused between calls: a sink copies what
 * it keeps.
 */
export interface MetricPointSink {
  beginResource(resource: MappedResource): void
  append(point: MappedMetricPoint): void
}

/** One data point with the fields of a `metric_points` row (docs/tables.md). */
export interface MappedMetricPoint {
  /** The point's time, nanoseconds since the Unix epoch, below 2^63. */
  readonly timeUnixNano: bigint
  /** Start of its aggregation interval (delta) or of its series (cumulative); 0 when unknown. */
  readonly startTimeUnixNano: bigint
  readonly service: string
  readonly environment: string
  readonly release: string
  readonly flagKeys: readonly string[]
  readonly flagVariants: readonly string[]
  readonly metricName: string
  readonly metricType: MetricTypeName
  readonly unit: string
  readonly temporality: TemporalityName
  readonly isMonotonic: 0 | 1
  /** Gauges and sums: the value (an integer point as a double); 0 for other types. */
  readonly value: number
  /** Histograms and summaries: observations; 0 for gauges and sums. */
  readonly count: number
  readonly sum: number | null
  readonly min: number | null
  readonly max: number | null
  readonly bucketCounts: readonly number[]
  readonly explicitBounds: readonly number[]
  readonly expScale: number
  readonly expZeroCount: number
  readonly expZeroThreshold: number
  readonly expPositiveOffset: number
  readonly expPositiveCounts: readonly number[]
  readonly expNegativeOffset: number
  readonly expNegativeCounts: readonly number[]
  readonly quantiles: readonly number[]
  readonly quantileValues: readonly number[]
  /** `DataPointFlags` (1: no recorded value). */
  readonly pointFlags: number
  readonly scopeName: string
  readonly scopeVersion: string
  /** Point attributes in wire order (the sink stores each key once, with its last value). */
  readonly attributeKeys: readonly string[]
  readonly attributeValues: readonly string[]
}
