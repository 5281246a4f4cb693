import { isFiniteSample, toAscending, type Sample } from '../math/sorted.ts'
import type { CohortSnapshot } from './judge-types.ts'
import type { LatencyEdges, MetricContext } from './metric-context.ts'
import { toPairedBlocks } from './minute-blocks.ts'

export const EMPTY_COHORT: CohortSnapshot = { requests: 0, errors: 0, latencyMs: [], minutes: [] }

/**
 * What every metric rule reads about two cohorts: their complete minutes paired, and their
 * latency samples sorted once on first use. `ascending` sorts a minute's sample once per
 * verdict and may be shared by several contexts of one verdict (see {@link createSortCache}).
 */
export function createMetricContext(options: {
  readonly baseline: CohortSnapshot | null
  readonly canary: CohortSnapshot | null
  readonly startMs: number
  readonly watermarkMs: number
  readonly alphaRollback: number
  readonly alphaPromote: number
  readonly ascending: (sample: Sample) => Sample
}): MetricContext {
  const baseline = options.baseline ?? EMPTY_COHORT
  const canary = options.canary ?? EMPTY_COHORT
  const sorted = { baseline: lazySorted(options.baseline), canary: lazySorted(options.canary) }
  const edges = { baseline: lazyEdges(options.baseline), canary: lazyEdges(options.canary) }
  return {
    baseline,
    canary,
    blocks: toPairedBlocks(baseline, canary, options.startMs, options.watermarkMs),
    startMs: options.startMs,
    watermarkMs: options.watermarkMs,
    alphaRollback: options.alphaRollback,
    alphaPromote: options.alphaPromote,
    sortedLatency: (cohort) => sorted[cohort](),
    latencyEdges: (cohort) => edges[cohort](),
    ascending: options.ascending,
  }
}

/** The cohort's latency bucket edges, each list sorted on first use; undefined without buckets. */
function lazyEdges(snapshot: CohortSnapshot | null): () => LatencyEdges | undefined {
  let sorted: LatencyEdges | undefined
  return () => {
    const buckets = snapshot?.latencyBucketsMs
    if (buckets === undefined) return undefined
    sorted ??= { lower: toAscending(buckets.lower), upper: toAscending(buckets.upper) }
    return sorted
  }
}

/** The cohort's latency sample sorted on first use (non-finite values dropped), then reused. */
export function lazySorted(snapshot: CohortSnapshot | null): () => Sample {
  let sorted: Sample | undefined
  return () => {
    if (sorted !== undefined) return sorted
    const sample = flatLatency(snapshot)
    const finite = isFiniteSample(sample) ? sample : Array.from(sample).filter(Number.isFinite)
    // A sample gathered from the minutes is this verdict's own copy: sorted in place.
    sorted =
      finite instanceof Float64Array && finite !== snapshot?.latencyMs
        ? finite.sort()
        : toAscending(finite)
    return sorted
  }
}

/** The cohort's latency sample; from its minutes' samples when it has no flat one. */
function flatLatency(snapshot: CohortSnapshot | null): Sample {
  if (snapshot === null) return []
  if (snapshot.latencyMs.length > 0) return snapshot.latencyMs
  let length = 0
  for (const minute of snapshot.minutes) length += minute.latencyMs?.length ?? 0
  const values = new Float64Array(length)
  let at = 0
  for (const minute of snapshot.minutes) {
    const sample = minute.latencyMs
    if (sample === undefined) continue
    for (let i = 0; i < sample.length; i++) values[at++] = sample[i] as number
  }
  return values
}

/**
 * Sorts each minute's latency sample once per verdict: the p50, p95 and p99 rules all read
 * the same minutes. Keyed by the sample itself, so it never outlives the verdict's input.
 */
export function createSortCache(): (sample: Sample) => Sample {
  const sorted = new WeakMap<Sample, Sample>()
  return (sample) => {
    let ascending = sorted.get(sample)
    if (ascending === undefined) {
      ascending = toAscending(sample)
      sorted.set(sample, ascending)
    }
    return ascending
  }
}
