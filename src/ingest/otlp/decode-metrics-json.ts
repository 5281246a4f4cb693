import { decodeScope, elementAt, keyValuesAt, parseJson } from './decode-json.ts'
import {
  arrayAt,
  boolAt,
  doubleAt,
  enumAt,
  field,
  int64At,
  isJsonObject,
  jsonError,
  describe,
  objectAt,
  stringAt,
  uint64At,
  type JsonObject,
} from './json-fields.ts'
import {
  NO_BUCKETS,
  type ExponentialBuckets,
  type ExponentialHistogramPoint,
  type HistogramPoint,
  type Metric,
  type MetricData,
  type MetricsRequest,
  type NumberPoint,
  type ResourceMetrics,
  type ScopeMetrics,
  type SummaryPoint,
} from './metrics-types.ts'
import { NO_KEY_VALUES, type InstrumentationScope } from './otlp-types.ts'

const TEMPORALITY_NAMES = [
  'AGGREGATION_TEMPORALITY_UNSPECIFIED',
  'AGGREGATION_TEMPORALITY_DELTA',
  'AGGREGATION_TEMPORALITY_CUMULATIVE',
]
const EMPTY_SCOPE: InstrumentationScope = Object.freeze({ name: '', version: '' })
const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const UINT32_MAX = 2 ** 32 - 1

/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` (the body of `POST /v1/metrics` with
 * `Content-Type: application/json`, or a Kafka `otlp_metrics_json` message) by the rules of
 * opentelemetry-proto `docs/specification.md`, as `decodeTraceRequestJson` does for traces:
 * lowerCamelCase names (snake_case accepted), integer enums (names accepted), 64-bit integers
 * as strings or numbers, "NaN"/"Infinity" doubles, unknown fields ignored.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` (HTTP 400) for invalid JSON, invalid UTF-8 or a
 *   value of the wrong type, naming its JSON path, e.g.
 *   `resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[1].asInt must be ...`.
 */
export function decodeMetricsRequestJson(body: string | Uint8Array): MetricsRequest {
  const request = parseJson(body)
  if (!isJsonObject(request)) {
    throw jsonError('the body', '', 'must be a JSON object (an ExportMetricsServiceRequest)')
  }
  const list = arrayAt(field(request, 'resourceMetrics', 'resource_metrics'), '', 'resourceMetrics')
  return {
    resourceMetrics: list.map((element, i) =>
      decodeResourceMetrics(elementAt(element, 'resourceMetrics', i), `resourceMetrics[${i}]`),
    ),
  }
}

function decodeResourceMetrics(object: JsonObject, path: string): ResourceMetrics {
  const resource = objectAt(field(object, 'resource'), path, 'resource')
  const scopes = arrayAt(field(object, 'scopeMetrics', 'scope_metrics'), path, 'scopeMetrics')
  const scopesPath = `${path}.scopeMetrics`
  return {
    resource: {
      attributes:
        resource === undefined
          ? NO_KEY_VALUES
          : keyValuesAt(field(resource, 'attributes'), `${path}.resource`, 'attributes'),
    },
    scopeMetrics: scopes.map((element, i) =>
      decodeScopeMetrics(elementAt(element, scopesPath, i), `${scopesPath}[${i}]`),
    ),
  }
}

function decodeScopeMetrics(object: JsonObject, path: string): ScopeMetrics {
  const scope = objectAt(field(object, 'scope'), path, 'scope')
  const metrics = arrayAt(field(object, 'metrics'), path, 'metrics')
  const metricsPath = `${path}.metrics`
  return {
    scope: scope === undefined ? EMPTY_SCOPE : decodeScope(scope, `${path}.scope`),
    metrics: metrics.map((element, i) =>
      decodeMetric(elementAt(element, metricsPath, i), `${metricsPath}[${i}]`),
    ),
  }
}

/** The data oneof: the last case present wins, as protobuf parsers read a repeated oneof. */
const DATA_CASES = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
] as const

function decodeMetric(object: JsonObject, path: string): Metric {
  let data: MetricData | undefined
  for (const [jsonName, protoName] of DATA_CASES) {
    const value = objectAt(field(object, jsonName, protoName), path, jsonName)
    if (value !== undefined) data = decodeData(protoName, value, `${path}.${jsonName}`)
  }
  return {
    name: stringAt(field(object, 'name'), path, 'name'),
    unit: stringAt(field(object, 'unit'), path, 'unit'),
    data,
  }
}

function decodeData(
  type: (typeof DATA_CASES)[number][1],
  object: JsonObject,
  path: string,
): MetricData {
  const points = arrayAt(field(object, 'dataPoints', 'data_points'), path, 'dataPoints')
  const pointsPath = `${path}.dataPoints`
  const each = <T>(decode: (point: JsonObject, at: string) => T): T[] =>
    points.map((element, i) => decode(elementAt(element, pointsPath, i), `${pointsPath}[${i}]`))
  const temporality = (): number =>
    enumAt(
      field(object, 'aggregationTemporality', 'aggregation_temporality'),
      path,
      'aggregationTemporality',
      TEMPORALITY_NAMES,
    )
  switch (type) {
    case 'gauge':
      return { type, points: each(decodeNumberPoint) }
    case 'sum':
      return {
        type,
        temporality: temporality(),
        isMonotonic: boolAt(field(object, 'isMonotonic', 'is_monotonic'), path, 'isMonotonic'),
        points: each(decodeNumberPoint),
      }
    case 'histogram':
      return { type, temporality: temporality(), points: each(decodeHistogramPoint) }
    case 'exponential_histogram':
      return { type, temporality: temporality(), points: each(decodeExponentialPoint) }
    case 'summary':
      return { type, points: each(decodeSummaryPoint) }
  }
}

function decodeCommon(point: JsonObject, path: string) {
  return {
    attributes: keyValuesAt(field(point, 'attributes'), path, 'attributes'),
    startTimeUnixNano: uint64At(
      field(point, 'startTimeUnixNano', 'start_time_unix_nano'),
      path,
      'startTimeUnixNano',
    ),
    timeUnixNano: uint64At(field(point, 'timeUnixNano', 'time_unix_nano'), path, 'timeUnixNano'),
    flags: uint32At(field(point, 'flags'), path, 'flags'),
  }
}

function decodeNumberPoint(point: JsonObject, path: string): NumberPoint {
  const asInt = field(point, 'asInt', 'as_int')
  const asDouble = field(point, 'asDouble', 'as_double')
  let value = 0
  // Both set: the later on the wire wins in protobuf; JSON has no order, so as_double wins.
  if (asInt !== undefined) value = Number(int64At(asInt, path, 'asInt'))
  if (asDouble !== undefined) value = doubleAt(asDouble, path, 'asDouble')
  return { ...decodeCommon(point, path), value }
}

function decodeHistogramPoint(point: JsonObject, path: string): HistogramPoint {
  return {
    ...decodeCommon(point, path),
    count: countAt(field(point, 'count'), path, 'count'),
    sum: optionalDoubleAt(field(point, 'sum'), path, 'sum'),
    min: optionalDoubleAt(field(point, 'min'), path, 'min'),
    max: optionalDoubleAt(field(point, 'max'), path, 'max'),
    bucketCounts: countsAt(field(point, 'bucketCounts', 'bucket_counts'), path, 'bucketCounts'),
    explicitBounds: arrayAt(
      field(point, 'explicitBounds', 'explicit_bounds'),
      path,
      'explicitBounds',
    ).map((value, i) => doubleAt(value, `${path}.explicitBounds`, `[${i}]`)),
  }
}

function decodeExponentialPoint(point: JsonObject, path: string): ExponentialHistogramPoint {
  return {
    ...decodeCommon(point, path),
    count: countAt(field(point, 'count'), path, 'count'),
    sum: optionalDoubleAt(field(point, 'sum'), path, 'sum'),
    min: optionalDoubleAt(field(point, 'min'), path, 'min'),
    max: optionalDoubleAt(field(point, 'max'), path, 'max'),
    scale: int32At(field(point, 'scale'), path, 'scale'),
    zeroCount: countAt(field(point, 'zeroCount', 'zero_count'), path, 'zeroCount'),
    zeroThreshold:
      optionalDoubleAt(field(point, 'zeroThreshold', 'zero_threshold'), path, 'zeroThreshold') ?? 0,
    positive: bucketsAt(field(point, 'positive'), path, 'positive'),
    negative: bucketsAt(field(point, 'negative'), path, 'negative'),
  }
}

function decodeSummaryPoint(point: JsonObject, path: string): SummaryPoint {
  const list = arrayAt(field(point, 'quantileValues', 'quantile_values'), path, 'quantileValues')
  const listPath = `${path}.quantileValues`
  const quantiles: number[] = []
  const values: number[] = []
  list.forEach((element, i) => {
    const entry = elementAt(element, listPath, i)
    quantiles.push(doubleAt(field(entry, 'quantile') ?? 0, `${listPath}[${i}]`, 'quantile'))
    values.push(doubleAt(field(entry, 'value') ?? 0, `${listPath}[${i}]`, 'value'))
  })
  return {
    ...decodeCommon(point, path),
    count: countAt(field(point, 'count'), path, 'count'),
    sum: optionalDoubleAt(field(point, 'sum'), path, 'sum') ?? 0,
    quantiles,
    quantileValues: values,
  }
}

function bucketsAt(value: unknown, path: string, name: string): ExponentialBuckets {
  const buckets = objectAt(value, path, name)
  if (buckets === undefined) return NO_BUCKETS
  const at = `${path}.${name}`
  return {
    offset: int32At(field(buckets, 'offset'), at, 'offset'),
    bucketCounts: countsAt(field(buckets, 'bucketCounts', 'bucket_counts'), at, 'bucketCounts'),
  }
}

/** A uint64 count as a number: exact below 2^53, far beyond any real count. */
function countAt(value: unknown, path: string, name: string): number {
  return Number(uint64At(value, path, name))
}

function countsAt(value: unknown, path: string, name: string): number[] {
  return arrayAt(value, path, name).map((count, i) => countAt(count, `${path}.${name}`, `[${i}]`))
}

/** An `optional double`: absent (or null) is null. */
function optionalDoubleAt(value: unknown, path: string, name: string): number | null {
  return value === undefined ? null : doubleAt(value, path, name)
}

function int32At(value: unknown, path: string, name: string): number {
  if (value === undefined) return 0
  const number = typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value
  if (typeof number === 'number' && Number.isInteger(number)) {
    if (number >= INT32_MIN && number <= INT32_MAX) return number
  }
  throw jsonError(path, name, `must be a 32-bit integer, got ${describe(value)}`)
}

function uint32At(value: unknown, path: string, name: string): number {
  if (value === undefined) return 0
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX) {
    return value
  }
  throw jsonError(path, name, `must be an unsigned 32-bit integer, got ${describe(value)}`)
}
