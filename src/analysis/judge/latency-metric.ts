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
  const compare = (alphaRollback: number, growth: number): Comparison =>
    compareQuantiles(
      metric.quantile,
      margin,
      baselineSample,
      canarySample,
      alphaRollback,
      context.alphaPromote,
      growth,
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
): Comparison {
  const worse = alphaRollback / 2
  const better = alphaPromote / 2
  // Higher is worse: the canary's lower end and the baseline's upper end decide a rollback.
  const [canaryLow, canaryHigh] = margin.higherIsWorse ? [worse, better] : [better, worse]
  const canaryBounds = quantileBounds(canary, p, canaryLow, canaryHigh, canary.length * growth)
  const baselineBounds = quantileBounds(
    baseline,
    p,
    canaryHigh,
    canaryLow,
    baseline.length * growth,
  )
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
