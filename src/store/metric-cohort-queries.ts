import type { ErrorRule, MetricSelector, MetricsSource } from '../analysis/policy/data-source.ts'
import type { CohortSnapshot, MinuteCounts } from '../analysis/index.ts'
import {
  bucketQuantile,
  msPerUnit,
  sampleIntervals,
  toLatencyIntervals,
  type BucketSample,
} from '../model/bucket-latency.ts'
import type { BucketInterval, Buckets } from '../model/histogram-buckets.ts'
import {
  toMinuteIncreases,
  type MetricSample,
  type MinuteIncrease,
} from '../model/metric-increases.ts'
import type { CohortSelector } from '../verdicts/analysis-definition.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/**
 * Cohort data from OTLP metrics (`metric_points`): per-minute requests and errors from the
 * increases of a histogram's count or a counter, and latency from histogram buckets. The
 * store reads the points (each series' last cumulative point per minute, every delta point,
 * retried points once); the increases are worked out by `toMinuteIncreases`.
 */

/**
 * How far before the window points are read: a cumulative series needs a point before the
 * window's first minute to count that minute's increase. Export intervals are well under it.
 */
export const METRIC_LOOKBACK_MS = 15 * 60_000

const MINUTE_MS = 60_000
const NS_PER_MS = 1_000_000n

/** One cohort over one window, and which of its metric points to read. */
export interface MetricCohortQuery {
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly selector: CohortSelector
  readonly fromMs: number
  readonly toMs: number
}

/** A minute of a metric cohort: request and error counts and the latency bucket ranges. */
export interface MetricMinute {
  readonly startMs: number
  readonly requests: number
  readonly errors: number
  /** Latency bucket ranges in ms, ordered; empty when the source has no latency. */
  readonly latency: readonly BucketInterval[]
}

/**
 * The cohort's minutes in [floor(fromMs), toMs), ascending, minutes without requests left out.
 * Counts are whole (a double counter's increase is rounded); errors never exceed requests.
 */
export async function queryMetricMinutes(
  store: Store,
  query: MetricCohortQuery,
  source: MetricsSource,
): Promise<MetricMinute[]> {
  const errorRule = source.errors.kind === 'attributes' ? source.errors : undefined
  const latencyFromRequests =
    source.latency !== null && sameSelector(source.latency, source.requests)
  const requests = await readSamples(store, query, source.requests, {
    buckets: latencyFromRequests,
    errorRule,
  })
  const errors =
    source.errors.kind === 'metric'
      ? (await readSamples(store, query, source.errors, { buckets: false })).samples
      : requests.samples.filter((_, i) => requests.isError[i] === 1)
  const latency =
    source.latency === null
      ? undefined
      : latencyFromRequests
        ? requests
        : await readSamples(store, query, source.latency, { buckets: true })

  const range = { rangeStartNs: BigInt(Math.floor(query.fromMs - METRIC_LOOKBACK_MS)) * NS_PER_MS }
  const firstMinuteMs = Math.floor(query.fromMs / MINUTE_MS) * MINUTE_MS
  const inWindow = (minute: MinuteIncrease): boolean =>
    minute.startMs >= firstMinuteMs && minute.startMs < query.toMs
  const requestMinutes = toMinuteIncreases(requests.samples, range).filter(inWindow)
  const errorsByMinute = toCounts(toMinuteIncreases(errors, range).filter(inWindow))
  const latencyByMinute = new Map<number, readonly Buckets[]>()
  if (latency !== undefined) {
    for (const minute of toMinuteIncreases(latency.samples, range).filter(inWindow)) {
      latencyByMinute.set(minute.startMs, minute.buckets)
    }
  }
  const msPer = msPerUnit(latency?.unit ?? '')
  return requestMinutes.flatMap((minute) => {
    const count = Math.round(minute.count)
    if (count <= 0) return []
    return [
      {
        startMs: minute.startMs,
        requests: count,
        errors: Math.min(count, Math.round(errorsByMinute.get(minute.startMs) ?? 0)),
        latency: toLatencyIntervals(latencyByMinute.get(minute.startMs) ?? [], msPer),
      },
    ]
  })
}

/**
 * A cohort snapshot for the judge from the metric source: the minutes' counts, and from each
 * complete minute a latency sample of at most `latencySamplesPerMinute` values with the edges
 * of their buckets (`latencyBucketsMs`). A complete minute's sample is a function of its
 * buckets alone, so it never changes once the minute's points are in.
 */
export async function fetchMetricCohort(
  store: Store,
  query: MetricCohortQuery & { readonly latencySamplesPerMinute: number },
  source: MetricsSource,
): Promise<CohortSnapshot> {
  const minutes = await queryMetricMinutes(store, query, source)
  const completeToMs = Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS
  const sample: BucketSample = { values: [], lower: [], upper: [] }
  let requests = 0
  let errors = 0
  const counts: MinuteCounts[] = []
  for (const minute of minutes) {
    requests += minute.requests
    errors += minute.errors
    counts.push({ startMs: minute.startMs, requests: minute.requests, errors: minute.errors })
    if (minute.startMs < completeToMs) {
      sampleIntervals(minute.latency, query.latencySamplesPerMinute, sample)
    }
  }
  return {
    requests,
    errors,
    minutes: counts,
    latencyMs: sample.values,
    ...(source.latency === null
      ? {}
      : { latencyBucketsMs: { lower: sample.lower, upper: sample.upper } }),
  }
}

/**
 * The cohort's minutes for charts (the page, reports, `/series`): requests, errors and the
 * p50, p95 and p99 latency, each interpolated within the histogram bucket that holds it
 * (null without latency buckets).
 */
export async function queryMetricSeries(
  store: Store,
  query: MetricCohortQuery,
  source: MetricsSource,
): Promise<
  {
    startMs: number
    requests: number
    errors: number
    p50Ms: number | null
    p95Ms: number | null
    p99Ms: number | null
  }[]
> {
  const minutes = await queryMetricMinutes(store, query, source)
  const quantile = (minute: MetricMinute, p: number): number | null =>
    bucketQuantile(minute.latency, p)?.estimate ?? null
  return minutes.map((minute) => ({
    startMs: minute.startMs,
    requests: minute.requests,
    errors: minute.errors,
    p50Ms: quantile(minute, 0.5),
    p95Ms: quantile(minute, 0.95),
    p99Ms: quantile(minute, 0.99),
  }))
}

interface Samples {
  readonly samples: MetricSample[]
  /** Per sample, 1 when the error rule marks its series failed. */
  readonly isError: Uint8Array
  /** The metric's unit (from its first point). */
  readonly unit: string
}

interface PointRow {
  readonly series: string
  readonly start_ns: string
  readonly time_ns: string
  readonly temporality: 'delta' | 'cumulative'
  readonly metric_type: string
  readonly unit: string
  readonly value: number
  readonly count: string | number
  readonly bucket_counts?: (string | number)[]
  readonly explicit_bounds?: number[]
  readonly exp_scale?: number
  readonly exp_zero_count?: string | number
  readonly exp_zero_threshold?: number
  readonly exp_positive_offset?: number
  readonly exp_positive_counts?: (string | number)[]
  readonly exp_negative_offset?: number
  readonly exp_negative_counts?: (string | number)[]
  readonly is_error: number
}

const BUCKET_COLUMNS = `bucket_counts, explicit_bounds, exp_scale, exp_zero_count, exp_zero_threshold,
  exp_positive_offset, exp_positive_counts, exp_negative_offset, exp_negative_counts`

/**
 * The points of one metric of the cohort that count: monotonic sums and histograms, delta or
 * cumulative, with a value (not flagged "no recorded value"), from the lookback before the
 * window to its end. A cumulative series keeps its last point of each minute, a delta series
 * every point; a point repeated with the same start and time (a retried export) comes once.
 */
async function readSamples(
  store: Store,
  query: MetricCohortQuery,
  selector: MetricSelector,
  options: {
    readonly buckets: boolean
    readonly errorRule?: Extract<ErrorRule, { kind: 'attributes' }> | undefined
  },
): Promise<Samples> {
  const filter = toMetricFilter(query, selector, query.fromMs - METRIC_LOOKBACK_MS, query.toMs)
  const params: Record<string, unknown> = { ...filter.params }
  let isError = '0'
  if (options.errorRule !== undefined) {
    params.statusAttribute = options.errorRule.statusAttribute
    params.minStatus = options.errorRule.minStatus
    params.errorTypeAttribute = options.errorRule.errorTypeAttribute
    isError = `(toFloat64OrZero(attributes[{statusAttribute:String}]) >= {minStatus:Float64}
      OR ({errorTypeAttribute:String} != '' AND attributes[{errorTypeAttribute:String}] != ''))`
  }
  const rows = await selectRows<PointRow>(
    store,
    `SELECT toString(series_id) AS series,
            toString(toUnixTimestamp64Nano(start_timestamp)) AS start_ns,
            toString(toUnixTimestamp64Nano(timestamp)) AS time_ns,
            temporality, metric_type, unit, value, count,
            ${options.buckets ? `${BUCKET_COLUMNS},` : ''}
            ${isError} AS is_error
     FROM ${store.database}.metric_points
     WHERE ${filter.where}
       AND temporality IN ('delta', 'cumulative')
       AND (metric_type IN ('histogram', 'exponential_histogram')
            OR (metric_type = 'sum' AND is_monotonic = 1))
       AND bitAnd(point_flags, 1) = 0
     ORDER BY series_id, start_timestamp, timestamp DESC, count DESC, value DESC
     LIMIT 1 BY series_id, start_timestamp, temporality,
       if(temporality = 'cumulative', toStartOfMinute(timestamp), timestamp)`,
    params,
  )
  const samples = rows.map((row) => toSample(row, options.buckets))
  return {
    samples,
    isError: Uint8Array.from(rows, (row) => (Number(row.is_error) === 1 ? 1 : 0)),
    unit: rows[0]?.unit ?? '',
  }
}

function toSample(row: PointRow, withBuckets: boolean): MetricSample {
  const isSum = row.metric_type === 'sum'
  return {
    series: row.series,
    startNs: BigInt(row.start_ns),
    timeNs: BigInt(row.time_ns),
    temporality: row.temporality,
    count: isSum ? Number(row.value) : Number(row.count),
    buckets: withBuckets && !isSum ? toBuckets(row) : null,
  }
}

function toBuckets(row: PointRow): Buckets {
  if (row.metric_type === 'exponential_histogram') {
    return {
      kind: 'exponential',
      scale: Number(row.exp_scale),
      zeroCount: Number(row.exp_zero_count),
      zeroThreshold: Number(row.exp_zero_threshold),
      positiveOffset: Number(row.exp_positive_offset),
      positive: (row.exp_positive_counts ?? []).map(Number),
      negativeOffset: Number(row.exp_negative_offset),
      negative: (row.exp_negative_counts ?? []).map(Number),
    }
  }
  return {
    kind: 'explicit',
    bounds: (row.explicit_bounds ?? []).map(Number),
    counts: (row.bucket_counts ?? []).map(Number),
  }
}

interface Filter {
  readonly where: string
  readonly params: Record<string, string | number>
}

/**
 * Conditions on `metric_points` rows of a cohort's metric in [fromMs, toMs). As for spans,
 * the SQL text varies only by which fixed conditions are needed (so the sort key is used);
 * every name and value, attribute filters included, is a bound parameter.
 */
export function toMetricFilter(
  query: Pick<MetricCohortQuery, 'service' | 'environment' | 'selector'>,
  selector: MetricSelector,
  fromMs: number,
  toMs: number,
): Filter {
  const conditions = ['service = {service:String}']
  const params: Record<string, string | number> = {
    service: query.service,
    metric: selector.metric,
    fromMs: Math.floor(fromMs),
    toMs: Math.floor(toMs),
  }
  if (query.environment !== '') {
    conditions.push('environment = {environment:String}')
    params.environment = query.environment
  }
  if (query.selector.release !== undefined) {
    conditions.push('release = {release:String}')
    params.release = query.selector.release
  }
  conditions.push('metric_name = {metric:String}')
  if (query.selector.flag !== undefined) {
    conditions.push('flags[{flagKey:String}] = {flagVariant:String}')
    params.flagKey = query.selector.flag.key
    params.flagVariant = query.selector.flag.variant
  }
  Object.entries(selector.where).forEach(([key, value], i) => {
    conditions.push(`attributes[{whereKey${i}:String}] = {whereValue${i}:String}`)
    params[`whereKey${i}`] = key
    params[`whereValue${i}`] = value
  })
  conditions.push(
    "timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')",
    "timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')",
  )
  return { where: conditions.join(' AND '), params }
}

function sameSelector(a: MetricSelector, b: MetricSelector): boolean {
  return a.metric === b.metric && JSON.stringify(a.where) === JSON.stringify(b.where)
}

function toCounts(minutes: readonly MinuteIncrease[]): Map<number, number> {
  return new Map(minutes.map((minute) => [minute.startMs, minute.count]))
}
