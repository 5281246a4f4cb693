import { toIntervals, type BucketInterval, type Buckets } from './histogram-buckets.ts'

/**
 * Latency read from histogram buckets: what the judge and the charts take from a minute's
 * bucket increases. A latency in a bucket is known only to lie between the bucket's edges, so
 * every value given out carries those edges along.
 */

/** Milliseconds per unit of a duration metric (UCUM units, as the semantic conventions use). */
const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
}

/** How to turn a metric's values into milliseconds; 1 for a unit that is not a duration. */
export function msPerUnit(unit: string): number {
  return MS_PER_UNIT[unit] ?? 1
}

/**
 * The bucket ranges of `buckets` in milliseconds, ordered by lower then upper edge. Latencies
 * are not negative: a range below zero is cut at zero (the first explicit bucket, from −∞,
 * starts at 0).
 */
export function toLatencyIntervals(buckets: readonly Buckets[], msPer: number): BucketInterval[] {
  const intervals: BucketInterval[] = []
  for (const entry of buckets) {
    for (const { lower, upper, count } of toIntervals(entry)) {
      if (upper < 0) continue
      intervals.push({ lower: Math.max(0, lower * msPer), upper: upper * msPer, count })
    }
  }
  return intervals.sort((a, b) => a.lower - b.lower || a.upper - b.upper)
}

/** A latency sample with the bucket edges of each value (see `CohortSnapshot.latencyBucketsMs`). */
export interface BucketSample {
  readonly values: number[]
  readonly lower: number[]
  readonly upper: number[]
}

/**
 * Up to `perMinute` latencies from one minute's bucket ranges, at evenly spaced ranks
 * ((j + ½)·n/m for j < m, a systematic sample, deterministic), each placed by linear
 * interpolation within its bucket (at the lower edge of an open last bucket) and appended to
 * `into` with its bucket's edges. The placement only shapes the point estimate; bounds come
 * from the edges.
 */
export function sampleIntervals(
  intervals: readonly BucketInterval[],
  perMinute: number,
  into: BucketSample,
): void {
  let total = 0
  for (const interval of intervals) total += interval.count
  const m = Math.min(Math.floor(total), perMinute)
  if (m <= 0) return
  let at = 0
  let before = 0
  for (let j = 0; j < m; j++) {
    const rank = ((j + 0.5) * total) / m
    while (at < intervals.length - 1 && before + intervals[at]!.count <= rank) {
      before += intervals[at]!.count
      at++
    }
    const { lower, upper, count } = intervals[at]!
    into.values.push(placeIn(lower, upper, (rank - before) / count))
    into.lower.push(lower)
    into.upper.push(upper)
  }
}

/**
 * The p-quantile of bucketed latencies, interpolated within the bucket it falls in (the
 * estimate Prometheus' `histogram_quantile` makes), with that bucket's edges: the quantile is
 * known to lie between them. null without observations.
 */
export function bucketQuantile(
  intervals: readonly BucketInterval[],
  p: number,
): { readonly estimate: number; readonly lower: number; readonly upper: number } | null {
  let total = 0
  for (const interval of intervals) total += interval.count
  if (total <= 0) return null
  const rank = p * total
  let before = 0
  for (const { lower, upper, count } of intervals) {
    if (before + count >= rank) {
      return { estimate: placeIn(lower, upper, (rank - before) / count), lower, upper }
    }
    before += count
  }
  const last = intervals[intervals.length - 1]!
  return { estimate: last.lower, lower: last.lower, upper: last.upper }
}

function placeIn(lower: number, upper: number, fraction: number): number {
  if (!Number.isFinite(upper)) return lower
  return lower + Math.min(1, Math.max(0, fraction)) * (upper - lower)
}
