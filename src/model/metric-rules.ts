import { MAX_START_NS, quote } from './span-rules.ts'

/**
 * The rules that turn an OTLP metric data point into a `metric_points` row, shared by the two
 * mappings that apply them: `mapMetrics` over decoded objects (OTLP/JSON) and the protobuf
 * decoder that writes columns straight from the wire (`decode-metrics-columnar.ts`). A test
 * holds the two to the same bytes for the same requests.
 */

/** The `data` cases of an OTLP `Metric`, as stored in `metric_points.metric_type`. */
export const METRIC_TYPES = [
  'gauge',
  'sum',
  'histogram',
  'exponential_histogram',
  'summary',
] as const
export type MetricTypeName = (typeof METRIC_TYPES)[number]

/**
 * `AggregationTemporality` by its value (1 delta, 2 cumulative), as stored; gauges and
 * summaries have none (''). Unspecified (0) is refused where a temporality is required.
 */
export const TEMPORALITY_NAMES = ['', 'delta', 'cumulative'] as const
export type TemporalityName = (typeof TEMPORALITY_NAMES)[number]

/** Whether points of this type carry an aggregation temporality. */
export function hasTemporality(type: MetricTypeName): boolean {
  return type === 'sum' || type === 'histogram' || type === 'exponential_histogram'
}

/** `DataPointFlags.FLAG_NO_RECORDED_VALUE`: the point marks the absence of data. */
export const NO_RECORDED_VALUE = 1

/** Scales the exponential histogram data model allows (metrics data model, "Scale"). */
export const MIN_EXPONENTIAL_SCALE = -10
export const MAX_EXPONENTIAL_SCALE = 20

/** Marks a point refused only for its age: counted, and explained once for all of them. */
export const EXPIRED = 'expired'

/**
 * Why a data point cannot be stored, or undefined. Checked in this order by both mappings:
 * attributes, times, temporality, then the type's own fields.
 */
export function pointTimeProblem(
  startNs: bigint,
  timeNs: bigint,
  retentionCutoffNs: bigint | undefined,
): string | undefined {
  if (timeNs === 0n) return 'timeUnixNano is missing (it is required)'
  if (timeNs >= MAX_START_NS) {
    return `timeUnixNano ${timeNs} is not before 2100-01-01, the latest time the store keeps`
  }
  if (startNs > timeNs) return `startTimeUnixNano ${startNs} is after timeUnixNano ${timeNs}`
  if (retentionCutoffNs !== undefined && timeNs < retentionCutoffNs) return EXPIRED
  return undefined
}

export function temporalityProblem(type: MetricTypeName, temporality: number): string | undefined {
  if (!hasTemporality(type)) return undefined
  if (temporality === 1 || temporality === 2) return undefined
  return temporality === 0
    ? `its ${type} has aggregationTemporality unspecified (0); send 1 (delta) or 2 (cumulative)`
    : `its ${type} has aggregationTemporality ${temporality}, not 1 (delta) or 2 (cumulative)`
}

/** Explicit bounds strictly increasing and finite, one bucket count more than bounds (or none). */
export function histogramProblem(
  bucketCounts: number,
  bounds: ArrayLike<number>,
): string | undefined {
  if (!(bucketCounts === 0 && bounds.length === 0) && bucketCounts !== bounds.length + 1) {
    return `it has ${bucketCounts} bucketCounts for ${bounds.length} explicitBounds; there must be one more count than bounds`
  }
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i]!
    if (!Number.isFinite(bound)) return `explicitBounds[${i}] is ${bound}, not a finite number`
    if (i > 0 && bound <= bounds[i - 1]!) {
      return `explicitBounds must increase strictly, but explicitBounds[${i}] = ${bound} follows ${bounds[i - 1]}`
    }
  }
  return undefined
}

export function exponentialProblem(scale: number): string | undefined {
  return scale < MIN_EXPONENTIAL_SCALE || scale > MAX_EXPONENTIAL_SCALE
    ? `scale ${scale} is outside ${MIN_EXPONENTIAL_SCALE}..${MAX_EXPONENTIAL_SCALE}`
    : undefined
}

export function expiredPointsProblem(retentionDays: number | undefined): string {
  return `it is older than the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

export function expiredPointsMessage(expired: number, retentionDays: number | undefined): string {
  return `${expired} data points are older than the ${retentionDays ?? '?'}-day retention (clickhouse.ttlDays) and would be dropped by the store`
}

/** Names a refused data point and where it was in the request, for `partial_success`. */
export function pointRejectionMessage(
  metricName: string,
  path: PointPath,
  problem: string,
): string {
  const { resourceIndex: r, scopeIndex: s, metricIndex: m, pointIndex: p } = path
  return `data point of metric ${quote(metricName)} (resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}].dataPoints[${p}]): ${problem}`
}

/** Where a data point sits in an ExportMetricsServiceRequest. */
export interface PointPath {
  readonly resourceIndex: number
  readonly scopeIndex: number
  readonly metricIndex: number
  readonly pointIndex: number
}

/** What one request's mapping did with its data points. */
export interface MapMetricsResult {
  readonly accepted: number
  /** Points refused, expired ones included; the receiver reports them as partial success. */
  readonly rejected: number
  /** Why the first refused point was refused, naming it and where it was in the request. */
  readonly rejectionMessage: string | undefined
  /** Every refused point, in request order (Kafka dead-letters each one). */
  readonly rejections: readonly PointRejection[]
}

export interface PointRejection extends PointPath {
  /** Its position among all the request's data points, counting from 0 in request order. */
  readonly index: number
  readonly message: string
}
