import { RhError } from '../../errors.ts'
import { isFiniteSample, toAscending, type Sample } from '../math/sorted.ts'
import type { MetricPolicy } from '../policy/policy-types.ts'
import { assessBudget } from './budget.ts'
import { decide } from './decide.ts'
import { judgeErrorRate } from './error-rate-metric.ts'
import type { CohortSnapshot, JudgeInput, Verdict } from './judge-types.ts'
import { judgeLatency } from './latency-metric.ts'
import type { LatencyEdges, MetricContext, MetricEvaluation } from './metric-context.ts'
import { toPairedBlocks } from './minute-blocks.ts'
import { judgeNumeric } from './numeric-metric.ts'
import { checkSampleRatio } from './sample-ratio-check.ts'

const EMPTY: CohortSnapshot = { requests: 0, errors: 0, latencyMs: [], minutes: [] }

/**
 * The verdict on a canary at one moment, from the cohorts' cumulative data since the analysis
 * started. Pure and stateless: the same input gives the same verdict, bit for bit, and every
 * rule is anytime-valid, so a controller may poll it as often as it likes without raising the
 * chance of a false rollback above the policy's α (split across the critical metrics and the
 * budget guard) or of a false promotion above α (every metric must show non-inferiority, an
 * intersection-union test; Berger 1982, Technometrics 24(4)).
 *
 * @throws RhError `RH_API_INVALID_REQUEST` when the times are not finite numbers.
 */
export function judge(input: JudgeInput): Verdict {
  const { policy, startMs, evaluatedAtMs } = input
  const ingestLagMs = input.ingestLagMs ?? 0
  if (!Number.isFinite(startMs) || !Number.isFinite(evaluatedAtMs)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `startMs and evaluatedAtMs must be finite epoch milliseconds, got ${startMs} and ${evaluatedAtMs}`,
    )
  }
  if (!(Number.isFinite(ingestLagMs) && ingestLagMs >= 0)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `ingestLagMs must be a number of milliseconds >= 0, got ${ingestLagMs}`,
    )
  }
  const watermarkMs = evaluatedAtMs - ingestLagMs
  const elapsedSeconds = Math.max(0, (evaluatedAtMs - startMs) / 1000)
  const baseline = input.baseline.ok ? input.baseline.data : null
  const canary = input.canary.ok ? input.canary.data : null
  const rollbackRules =
    policy.metrics.filter((metric) => metric.critical).length + (policy.budget.guard ? 1 : 0)
  const alphaRollback = policy.alpha / Math.max(1, rollbackRules)
  const sorted = {
    baseline: lazySorted(baseline),
    canary: lazySorted(canary),
  }
  const edges = { baseline: lazyEdges(baseline), canary: lazyEdges(canary) }
  const context: MetricContext = {
    baseline: baseline ?? EMPTY,
    canary: canary ?? EMPTY,
    blocks: toPairedBlocks(baseline ?? EMPTY, canary ?? EMPTY, startMs, watermarkMs),
    startMs,
    watermarkMs,
    alphaRollback,
    alphaPromote: policy.alpha,
    sortedLatency: (cohort) => sorted[cohort](),
    latencyEdges: (cohort) => edges[cohort](),
    ascending: createSortCache(),
  }
  const evaluations = policy.metrics.map((metric) => evaluateMetric(metric, context))
  const budget = assessBudget({
    policy,
    baseline,
    canary,
    baselineLatency: sorted.baseline,
    canaryLatency: sorted.canary,
    startMs,
    evaluatedAtMs,
    watermarkMs,
    alphaGuard: alphaRollback,
    alphaPromote: policy.alpha,
  })
  const sampleRatio = checkSampleRatio(policy.expectedCanaryShare, baseline, canary, policy.alpha)
  const failures = (['baseline', 'canary'] as const).flatMap((cohort) => {
    const result = input[cohort]
    return result.ok ? [] : [{ cohort, error: result.error }]
  })
  const decided = decide({ policy, elapsedSeconds, evaluations, budget, sampleRatio, failures })
  return {
    decision: decided.decision,
    reasons: decided.reasons,
    elapsedSeconds,
    metrics: evaluations.map((evaluation) => evaluation.result),
    budget,
    sampleRatio,
    missing: decided.missing,
    estimatedSecondsToDecision: decided.estimatedSecondsToDecision,
    alpha: { total: policy.alpha, rollbackPerRule: alphaRollback, promote: policy.alpha },
  }
}

function evaluateMetric(metric: MetricPolicy, context: MetricContext): MetricEvaluation {
  switch (metric.kind) {
    case 'error-rate':
      return judgeErrorRate(metric, context)
    case 'latency':
      return judgeLatency(metric, context)
    case 'numeric':
      return judgeNumeric(metric, context)
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
function lazySorted(snapshot: CohortSnapshot | null): () => Sample {
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
function createSortCache(): (sample: Sample) => Sample {
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
