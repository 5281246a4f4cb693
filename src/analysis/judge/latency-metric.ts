import type { LatencyMetric } from '../policy/policy-types.ts'
import {
  empiricalQuantile,
  quantileBounds,
  type QuantileBounds,
} from '../sequential/quantile-bounds.ts'
import { formatNumber } from './format.ts'
import type { CohortEstimate } from './judge-types.ts'
import {
  growthToDecide,
  isBeyond,
  type Margin,
  type LatencyEdges,
  type MetricContext,
  type MetricEvaluation,
  toMargin,
} from './metric-context.ts'
import { noDataResult, toMetricResult } from './metric-result.ts'
import type { Sample } from '../math/sorted.ts'
import { judgeLatencyUnits, UNIT_TEST } from './latency-unit-metric.ts'
import { quantileUnits } from './latency-units.ts'

const TEST =
  'confidence sequences on each cohort quantile (beta-binomial mixture, Howard & Ramdas 2022; assumes independent samples: the input has no per-minute latency samples)'

/** Smallest anytime p-value reported; smaller ones are shown as this. */
const MIN_P_VALUE = 1e-12
const P_VALUE_STEPS = 16

/**
 * Judges a latency quantile of the canary against the baseline: on units of minutes
 * ({@link judgeLatencyUnits}) when the cohorts carry per-minute latency samples, which keeps
 * the guarantee when shocks hit one cohort's minutes; otherwise on the pooled samples, as
 * follows, a rule that assumes independent samples. Each cohort's quantile gets
 * anytime-valid bounds ({@link quantileBounds}); the canary is worse beyond a relative
 * tolerance r when its lower bound exceeds (1 + r) times the baseline's upper bound, and within
 * it when its upper bound is below (1 + r) times the baseline's lower bound (differences for an
 * absolute tolerance). Each comparison spends its α in halves on the two cohorts (a union
 * bound), so it is exact for any latency distribution, at the cost of some power.
 */
export function judgeLatency(metric: LatencyMetric, context: MetricContext): MetricEvaluation {
  const margin = toMargin(metric)
  const baselineSample = context.sortedLatency('baseline')
  const canarySample = context.sortedLatency('canary')
  const alpha = { rollback: context.alphaRollback, promote: context.alphaPromote }
  const units = quantileUnits(
    context.baseline,
    context.canary,
    metric.quantile,
    context,
    margin.scale === 'relative',
  )
  if (units !== null) {
    const estimates = {
      baseline: toPlainEstimate(baselineSample, metric.quantile),
      canary: toPlainEstimate(canarySample, metric.quantile),
    }
    if (estimates.baseline.n === 0 || estimates.canary.n === 0) {
      return {
        result: noDataResult(
          metric,
          UNIT_TEST,
          margin,
          estimates.baseline,
          estimates.canary,
          alpha,
        ),
        growthToDecide: () => null,
        leaningWorse: false,
      }
    }
    return judgeLatencyUnits(metric, context, units, margin, estimates)
  }
  // Without per-minute samples: the pooled rule, bounded by bucket edges when latency comes
  // from histogram buckets (a metric source).
  const edges = {
    baseline: context.latencyEdges?.('baseline'),
    canary: context.latencyEdges?.('canary'),
  }
  const compare = (alphaRollback: number, growth: number): Comparison =>
    compareQuantiles(
      metric.quantile,
      margin,
      baselineSample,
      canarySample,
      alphaRollback,
      context.alphaPromote,
      growth,
      edges,
    )
  const result = compare(context.alphaRollback, 1)
  const baseline = toEstimate(baselineSample, metric.quantile, result.baselineBounds)
  const canary = toEstimate(canarySample, metric.quantile, result.canaryBounds)
  if (baseline.n === 0 || canary.n === 0) {
    return {
      result: noDataResult(metric, TEST, margin, baseline, canary, alpha),
      growthToDecide: () => null,
      leaningWorse: false,
    }
  }
  const effect = toEffect(baseline.estimate, canary.estimate, margin)
  const shortOfSamples = Math.min(baseline.n, canary.n) < metric.minSamples
  return {
    result: toMetricResult({
      metric,
      test: TEST,
      baseline,
      canary,
      effect,
      interval: result.interval,
      margin,
      logEWorse: null,
      logEWithin: null,
      pValue: anytimePValue((level) => compare(level, 1).worse),
      worse: result.worse,
      within: result.within,
      shortOfSamples,
      alphaRollback: context.alphaRollback,
      alphaPromote: context.alphaPromote,
      describe: describeQuantile(metric.quantile),
      unit: ' ms',
      ...(edges.baseline !== undefined || edges.canary !== undefined ? { note: BUCKETS_NOTE } : {}),
    }),
    growthToDecide: () => {
      const evidenceGrowth = growthToDecide((growth) => {
        const projected = compare(context.alphaRollback, growth)
        return projected.worse || projected.within
      })
      return evidenceGrowth === null
        ? null
        : Math.max(evidenceGrowth, metric.minSamples / Math.min(baseline.n, canary.n))
    },
    leaningWorse: isBeyond(effect, margin),
  }
}

interface Comparison {
  readonly baselineBounds: QuantileBounds
  readonly canaryBounds: QuantileBounds
  readonly interval: readonly [number | null, number | null]
  readonly worse: boolean
  readonly within: boolean
}

/**
 * Bounds on the effect from the cohorts' quantile bounds: the worse-side end at the rollback
 * level, the other end at the promote level, each level split evenly between the cohorts.
 * `growth` projects the boundaries to `growth` times the current samples.
 */
function compareQuantiles(
  p: number,
  margin: Margin,
  baseline: Sample,
  canary: Sample,
  alphaRollback: number,
  alphaPromote: number,
  growth: number,
  edges: {
    readonly baseline?: LatencyEdges | undefined
    readonly canary?: LatencyEdges | undefined
  } = {},
): Comparison {
  const worse = alphaRollback / 2
  const better = alphaPromote / 2
  // Higher is worse: the canary's lower end and the baseline's upper end decide a rollback.
  const [canaryLow, canaryHigh] = margin.higherIsWorse ? [worse, better] : [better, worse]
  const canaryBounds = cohortBounds(canary, edges.canary, p, canaryLow, canaryHigh, growth)
  const baselineBounds = cohortBounds(baseline, edges.baseline, p, canaryHigh, canaryLow, growth)
  const low = lowerEffect(canaryBounds.lower, baselineBounds.upper, margin)
  const high = upperEffect(canaryBounds.upper, baselineBounds.lower, margin)
  const threshold = margin.threshold
  return {
    baselineBounds,
    canaryBounds,
    interval: [low, high],
    worse: margin.higherIsWorse
      ? low !== null && low > threshold
      : high !== null && high < threshold,
    within: margin.higherIsWorse
      ? high !== null && high < threshold
      : low !== null && low > threshold,
  }
}

/**
 * A cohort's quantile bounds; from bucket edges when its latency comes from histogram buckets:
 * the lower bound from the lower edges and the upper from the upper edges, each the order
 * statistic the sample's own bound would use, so the bounds hold whatever the latencies
 * within the buckets were. An open bucket's infinite edge leaves its side unbounded.
 */
function cohortBounds(
  sample: Sample,
  edges: LatencyEdges | undefined,
  p: number,
  lowerAlpha: number,
  upperAlpha: number,
  growth: number,
): QuantileBounds {
  if (edges === undefined)
    return quantileBounds(sample, p, lowerAlpha, upperAlpha, sample.length * growth)
  const { lower } = quantileBounds(
    edges.lower,
    p,
    lowerAlpha,
    upperAlpha,
    edges.lower.length * growth,
  )
  const { upper } = quantileBounds(
    edges.upper,
    p,
    lowerAlpha,
    upperAlpha,
    edges.upper.length * growth,
  )
  return {
    lower: lower !== null && Number.isFinite(lower) ? lower : null,
    upper: upper !== null && Number.isFinite(upper) ? upper : null,
  }
}

/** What a verdict says of latency read from histogram buckets. */
const BUCKETS_NOTE =
  'latency from histogram buckets: each quantile is bounded by the edges of the buckets it falls in, so the bucket boundaries limit what can be shown and a shift smaller than a bucket is not detected'

/** Smallest effect compatible with the bounds: canary low against baseline high. */
function lowerEffect(
  canaryLow: number | null,
  baselineHigh: number | null,
  margin: Margin,
): number | null {
  if (canaryLow === null || baselineHigh === null) return null
  if (margin.scale === 'absolute') return canaryLow - baselineHigh
  return baselineHigh > 0 ? canaryLow / baselineHigh - 1 : null
}

/** Largest effect compatible with the bounds: canary high against baseline low. */
function upperEffect(
  canaryHigh: number | null,
  baselineLow: number | null,
  margin: Margin,
): number | null {
  if (canaryHigh === null || baselineLow === null) return null
  if (margin.scale === 'absolute') return canaryHigh - baselineLow
  return baselineLow > 0 ? canaryHigh / baselineLow - 1 : null
}

function toEffect(baseline: number | null, canary: number | null, margin: Margin): number | null {
  if (baseline === null || canary === null) return null
  if (margin.scale === 'absolute') return canary - baseline
  return baseline > 0 ? canary / baseline - 1 : null
}

/**
 * The smallest level at which the rollback comparison holds: an anytime-valid p-value, since
 * the comparison at each level is an anytime-valid test. Bisection on ln α.
 */
function anytimePValue(worseAt: (level: number) => boolean): number {
  if (!worseAt(1)) return 1
  if (worseAt(MIN_P_VALUE)) return MIN_P_VALUE
  let low = Math.log(MIN_P_VALUE)
  let high = 0
  for (let step = 0; step < P_VALUE_STEPS; step++) {
    const middle = (low + high) / 2
    if (worseAt(Math.exp(middle))) high = middle
    else low = middle
  }
  return Math.exp(high)
}

function toEstimate(sample: Sample, p: number, bounds: QuantileBounds): CohortEstimate {
  return {
    n: sample.length,
    estimate: empiricalQuantile(sample, p),
    lower: bounds.lower,
    upper: bounds.upper,
  }
}

function toPlainEstimate(sample: Sample, p: number): CohortEstimate {
  return { n: sample.length, estimate: empiricalQuantile(sample, p) }
}

function describeQuantile(p: number): (side: CohortEstimate) => string {
  const label = `p${formatNumber(p * 100)}`
  return (side) => `${label} ${formatNumber(side.estimate)} ms (${side.n} samples)`
}
