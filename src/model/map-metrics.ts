import type { KeyValue } from '../ingest/otlp/otlp-types.ts'
import type { Metric, MetricsRequest } from '../ingest/otlp/metrics-types.ts'
import { anyValueToString } from './any-value-to-string.ts'
import { toResourceContext, type MappingOptions, type MapSpansOptions } from './map-spans.ts'
import type { MappedMetricPoint, MetricPointSink } from './metric-point-sink.ts'
import {
  EXPIRED,
  expiredPointsMessage,
  expiredPointsProblem,
  exponentialProblem,
  histogramProblem,
  pointRejectionMessage,
  pointTimeProblem,
  temporalityProblem,
  TEMPORALITY_NAMES,
  type MapMetricsResult,
  type MetricTypeName,
  type PointRejection,
} from './metric-rules.ts'
import { attributeCountProblem, FLAG_KEY_ATTRIBUTE, FLAG_VARIANT_ATTRIBUTES } from './span-rules.ts'

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] }
type ScratchPoint = Mutable<MappedMetricPoint>

const NONE: readonly number[] = Object.freeze([])

/**
 * Maps decoded OTLP metrics to `metric_points` rows, one per data point, handing each accepted
 * point to `sink`:
 * - service, release and environment from the resource as for spans (`toResourceContext`);
 *   release and environment from the point's attributes when the resource has none;
 * - flags from the point's attributes: `<mapping.flagAttributePrefix><key>` = variant, then
 *   `feature_flag.key` with `feature_flag.result.variant` (legacy `feature_flag.variant`, else
 *   `feature_flag.result.value`), which wins for the same key;
 * - the type's own fields (value, count, sum, buckets...), the others left at their defaults.
 *
 * Invalid points are refused one by one and counted, never thrown, for OTLP `partial_success`:
 * a resource or point with more attributes than the limit, a missing time or one past
 * 2^63 ns, a start after the time, a time older than the retention, an unspecified
 * temporality on a sum or histogram, explicit bounds that are not finite and strictly
 * increasing or that do not match the bucket counts, an exponential scale outside -10..20.
 */
export function mapMetrics(
  request: MetricsRequest,
  mapping: MappingOptions,
  sink: MetricPointSink,
  options: MapSpansOptions = {},
): MapMetricsResult {
  const point = createScratchPoint()
  const resource: { keys: string[]; values: string[] } = { keys: [], values: [] }
  let accepted = 0
  let expired = 0
  let index = 0
  let rejectionMessage: string | undefined
  const rejections: PointRejection[] = []
  request.resourceMetrics.forEach((resourceMetrics, r) => {
    const context = toResourceContext(resourceMetrics.resource.attributes, mapping, resource)
    let begun = false
    resourceMetrics.scopeMetrics.forEach((scopeMetrics, s) => {
      scopeMetrics.metrics.forEach((metric, m) => {
        forEachPoint(metric, (source, p, fill) => {
          const problem =
            context.problem ??
            attributeCountProblem(source.attributes.length, mapping.maxAttributesPerSpan) ??
            pointTimeProblem(
              source.startTimeUnixNano,
              source.timeUnixNano,
              options.retentionCutoffNs,
            ) ??
            fill.problem()
          const at = index++
          if (problem === undefined) {
            if (!begun) {
              sink.beginResource(resource)
              begun = true
            }
            resetPoint(point)
            point.timeUnixNano = source.timeUnixNano
            point.startTimeUnixNano = source.startTimeUnixNano
            point.pointFlags = source.flags
            point.service = context.service
            point.metricName = metric.name
            point.unit = metric.unit
            point.scopeName = scopeMetrics.scope.name
            point.scopeVersion = scopeMetrics.scope.version
            fillAttributes(point, source.attributes, context, mapping)
            fill.values(point)
            sink.append(point)
            accepted++
            return
          }
          const path = { resourceIndex: r, scopeIndex: s, metricIndex: m, pointIndex: p }
          const message = pointRejectionMessage(
            metric.name,
            path,
            problem === EXPIRED ? expiredPointsProblem(options.retentionDays) : problem,
          )
          rejections.push({ index: at, ...path, message })
          if (problem === EXPIRED) expired++
          else rejectionMessage ??= message
        })
      })
    })
  })
  if (rejectionMessage === undefined && expired > 0) {
    rejectionMessage = expiredPointsMessage(expired, options.retentionDays)
  }
  return { accepted, rejected: rejections.length, rejectionMessage, rejections }
}

interface PointSource {
  readonly attributes: readonly KeyValue[]
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
  readonly flags: number
}

interface PointFill {
  /** The type's own problem with the point (checked after the common ones). */
  problem(): string | undefined
  /** Writes the type's own fields. */
  values(point: ScratchPoint): void
}

/** Calls `visit` for each data point of `metric` with what its type adds. */
function forEachPoint(
  metric: Metric,
  visit: (source: PointSource, index: number, fill: PointFill) => void,
): void {
  const data = metric.data
  if (data === undefined) return
  const type: MetricTypeName = data.type
  const temporality = 'temporality' in data ? data.temporality : 0
  const ofType = (point: ScratchPoint): void => {
    point.metricType = type
    point.temporality = TEMPORALITY_NAMES[temporality] ?? ''
  }
  const temporalityOf = (): string | undefined => temporalityProblem(type, temporality)
  switch (data.type) {
    case 'gauge':
    case 'sum':
      data.points.forEach((source, i) =>
        visit(source, i, {
          problem: temporalityOf,
          values(point) {
            ofType(point)
            point.isMonotonic = data.type === 'sum' && data.isMonotonic ? 1 : 0
            point.value = source.value
          },
        }),
      )
      return
    case 'histogram':
      data.points.forEach((source, i) =>
        visit(source, i, {
          problem: () =>
            temporalityOf() ?? histogramProblem(source.bucketCounts.length, source.explicitBounds),
          values(point) {
            ofType(point)
            point.count = source.count
            point.sum = source.sum
            point.min = source.min
            point.max = source.max
            point.bucketCounts = source.bucketCounts as number[]
            point.explicitBounds = source.explicitBounds as number[]
          },
        }),
      )
      return
    case 'exponential_histogram':
      data.points.forEach((source, i) =>
        visit(source, i, {
          problem: () => temporalityOf() ?? exponentialProblem(source.scale),
          values(point) {
            ofType(point)
            point.count = source.count
            point.sum = source.sum
            point.min = source.min
            point.max = source.max
            point.expScale = source.scale
            point.expZeroCount = source.zeroCount
            point.expZeroThreshold = source.zeroThreshold
            point.expPositiveOffset = source.positive.offset
            point.expPositiveCounts = source.positive.bucketCounts as number[]
            point.expNegativeOffset = source.negative.offset
            point.expNegativeCounts = source.negative.bucketCounts as number[]
          },
        }),
      )
      return
    case 'summary':
      data.points.forEach((source, i) =>
        visit(source, i, {
          problem: () => undefined,
          values(point) {
            ofType(point)
            point.count = source.count
            point.sum = source.sum
            point.quantiles = source.quantiles as number[]
            point.quantileValues = source.quantileValues as number[]
          },
        }),
      )
  }
}

function fillAttributes(
  point: ScratchPoint,
  keyValues: readonly KeyValue[],
  resource: ReturnType<typeof toResourceContext>,
  mapping: MappingOptions,
): void {
  const keys = point.attributeKeys
  const values = point.attributeValues
  keys.length = 0
  values.length = 0
  for (const { key, value } of keyValues) {
    keys.push(key)
    values.push(typeof value === 'string' ? value : anyValueToString(value))
  }
  point.environment =
    resource.environment ?? firstPresent(keys, values, mapping.environmentAttributes) ?? ''
  point.release =
    resource.release ?? nonEmpty(lastValue(keys, values, mapping.releaseAttribute)) ?? ''
  collectFlags(keys, values, mapping.flagAttributePrefix, point.flagKeys, point.flagVariants)
}

/**
 * Flags a data point's attributes carry: `<prefix><key>` = variant attributes in order, then
 * the `feature_flag.key` attribute with its variant, which wins for the same key. Each key
 * once, at its first position, with its last variant.
 */
function collectFlags(
  keys: readonly string[],
  values: readonly string[],
  prefix: string,
  flagKeys: string[],
  flagVariants: string[],
): void {
  flagKeys.length = 0
  flagVariants.length = 0
  const set = (key: string, variant: string): void => {
    const at = flagKeys.indexOf(key)
    if (at >= 0) flagVariants[at] = variant
    else {
      flagKeys.push(key)
      flagVariants.push(variant)
    }
  }
  if (prefix !== '') {
    keys.forEach((name, i) => {
      if (name.length > prefix.length && name.startsWith(prefix)) {
        set(name.slice(prefix.length), values[i]!)
      }
    })
  }
  const flag = nonEmpty(lastValue(keys, values, FLAG_KEY_ATTRIBUTE))
  if (flag === undefined) return
  let variant = ''
  for (const name of FLAG_VARIANT_ATTRIBUTES) {
    const found = lastValue(keys, values, name)
    if (found !== undefined) {
      variant = found
      break
    }
  }
  set(flag, variant)
}

function lastValue(
  keys: readonly string[],
  values: readonly string[],
  key: string,
): string | undefined {
  const at = keys.lastIndexOf(key)
  return at < 0 ? undefined : values[at]
}

function firstPresent(
  keys: readonly string[],
  values: readonly string[],
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = nonEmpty(lastValue(keys, values, name))
    if (value !== undefined) return value
  }
  return undefined
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function createScratchPoint(): ScratchPoint {
  const point = {
    attributeKeys: [],
    attributeValues: [],
    flagKeys: [],
    flagVariants: [],
  } as unknown as ScratchPoint
  resetPoint(point)
  return point
}

/** Every type-specific field back to its default, so a point of another type leaves nothing. */
function resetPoint(point: ScratchPoint): void {
  point.metricType = 'gauge'
  point.temporality = ''
  point.isMonotonic = 0
  point.value = 0
  point.count = 0
  point.sum = null
  point.min = null
  point.max = null
  point.bucketCounts = NONE as number[]
  point.explicitBounds = NONE as number[]
  point.expScale = 0
  point.expZeroCount = 0
  point.expZeroThreshold = 0
  point.expPositiveOffset = 0
  point.expPositiveCounts = NONE as number[]
  point.expNegativeOffset = 0
  point.expNegativeCounts = NONE as number[]
  point.quantiles = NONE as number[]
  point.quantileValues = NONE as number[]
  point.pointFlags = 0
}
