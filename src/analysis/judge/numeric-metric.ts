import { compensatedSum, meanAndVariance, toAscending, type Sample } from '../math/sorted.ts'
import type { NumericMetric } from '../policy/policy-types.ts'
import {
  logNormalMixtureLower,
  logNormalMixtureUpper,
  normalMixtureLowerBound,
  normalMixtureUpperBound,
  type NormalEstimate,
} from '../sequential/normal-mixture.ts'
import { formatNumber } from './format.ts'
import type { CohortEstimate, CohortSnapshot } from './judge-types.ts'
import {
  growthToDecide,
  isBeyond,
  toInterval,
  toMargin,
  type Margin,
  type MetricContext,
  type MetricEvaluation,
} from './metric-context.ts'
import { noDataResult, toMetricResult } from './metric-result.ts'

const TEST = 'normal-mixture SPRT on the difference of means (asymptotically anytime-valid)'
const LOG_TEST =
  'normal-mixture SPRT on the log ratio of means, delta method (asymptotically anytime-valid)'

/** Smallest mixing scale for a relative tolerance, on the log scale (about 5%). */
const MIN_LOG_TAU = 0.05

/** A cohort's statistic with its estimated variance. */
interface CohortStatistic {
  readonly n: number
  readonly estimate: number
  readonly variance: number
  readonly standardDeviation: number
}

/**
 * Judges a generic numeric metric (e.g. business events from Kafka): the mean of the event
 * values, or their sum per request (a ratio metric; its variance Σv²/N² treats events as a
 * compound Poisson process). The rule is the normal-mixture SPRT ({@link logNormalMixtureUpper})
 * on the difference (absolute tolerance) or on the log ratio (relative tolerance, delta method,
 * positive values only). Its guarantee is asymptotic, so it needs `minSamples` events per
 * cohort before it may decide.
 */
export function judgeNumeric(metric: NumericMetric, context: MetricContext): MetricEvaluation {
  const margin = toMargin(metric)
  const baseline = toStatistic(context.baseline, metric)
  const canary = toStatistic(context.canary, metric)
  const alpha = { rollback: context.alphaRollback, promote: context.alphaPromote }
  const baselineEstimate = toEstimate(baseline)
  const canaryEstimate = toEstimate(canary)
  const test = margin.scale === 'relative' ? LOG_TEST : TEST
  if (baseline.n === 0 || canary.n === 0) {
    return {
      result: noDataResult(metric, test, margin, baselineEstimate, canaryEstimate, alpha),
      growthToDecide: () => null,
      leaningWorse: false,
    }
  }
  const shortOfSamples = Math.min(baseline.n, canary.n) < metric.minSamples
  const effect = toEffect(baseline.estimate, canary.estimate, margin)
  const contrast = toContrast(baseline, canary, margin)
  const common = {
    metric,
    test,
    baseline: baselineEstimate,
    canary: canaryEstimate,
    effect,
    margin,
    shortOfSamples,
    alphaRollback: context.alphaRollback,
    alphaPromote: context.alphaPromote,
    describe: describeMean,
    unit: '',
  }
  if (contrast === null) {
    const note =
      margin.scale === 'relative'
        ? 'a relative tolerance needs positive values with some spread in both cohorts'
        : 'the values show no spread yet'
    return {
      result: toMetricResult({
        ...common,
        interval: [null, null],
        logEWorse: null,
        logEWithin: null,
        worse: false,
        within: false,
        note,
      }),
      growthToDecide: () => null,
      leaningWorse: isBeyond(effect, margin),
    }
  }
  const rule = toRule(contrast, margin, context)
  const worse = rule.logWorse(contrast.estimate)
  const within = rule.logWithin(contrast.estimate)
  return {
    result: toMetricResult({
      ...common,
      interval: rule.interval,
      logEWorse: worse,
      logEWithin: within,
      worse: !shortOfSamples && worse >= rule.rollbackAt,
      within: within >= rule.promoteAt,
    }),
    growthToDecide: () => {
      const evidenceGrowth = growthToDecide((growth) => {
        const scaled = {
          estimate: contrast.estimate.estimate,
          variance: contrast.estimate.variance / growth,
        }
        return rule.logWorse(scaled) >= rule.rollbackAt || rule.logWithin(scaled) >= rule.promoteAt
      })
      return evidenceGrowth === null
        ? null
        : Math.max(evidenceGrowth, metric.minSamples / Math.min(baseline.n, canary.n))
    },
    leaningWorse: isBeyond(effect, margin),
  }
}

interface Contrast {
  readonly estimate: NormalEstimate
  /** The tolerance on the contrast's scale (log ratio or difference). */
  readonly theta0: number
  readonly tau: number
  /** Maps a bound on the contrast back to the effect scale. */
  readonly toEffect: (bound: number) => number
}

function toContrast(
  baseline: CohortStatistic,
  canary: CohortStatistic,
  margin: Margin,
): Contrast | null {
  if (margin.scale === 'absolute') {
    const variance = baseline.variance + canary.variance
    if (!(variance > 0)) return null
    return {
      estimate: { estimate: canary.estimate - baseline.estimate, variance },
      theta0: margin.threshold,
      tau: Math.abs(margin.threshold),
      toEffect: (bound) => bound,
    }
  }
  if (!(baseline.estimate > 0 && canary.estimate > 0)) return null
  const variance =
    baseline.variance / baseline.estimate ** 2 + canary.variance / canary.estimate ** 2
  if (!(variance > 0)) return null
  const theta0 = Math.log1p(margin.threshold)
  return {
    estimate: { estimate: Math.log(canary.estimate / baseline.estimate), variance },
    theta0,
    tau: Math.max(Math.abs(theta0), MIN_LOG_TAU),
    toEffect: (bound) => Math.expm1(bound),
  }
}

function toRule(contrast: Contrast, margin: Margin, context: MetricContext) {
  const { theta0, tau, estimate } = contrast
  const upper = (input: NormalEstimate): number => logNormalMixtureUpper(input, theta0, tau)
  const lower = (input: NormalEstimate): number => logNormalMixtureLower(input, theta0, tau)
  const worseBound = margin.higherIsWorse
    ? normalMixtureLowerBound(estimate, tau, context.alphaRollback)
    : normalMixtureUpperBound(estimate, tau, context.alphaRollback)
  const betterBound = margin.higherIsWorse
    ? normalMixtureUpperBound(estimate, tau, context.alphaPromote)
    : normalMixtureLowerBound(estimate, tau, context.alphaPromote)
  return {
    logWorse: margin.higherIsWorse ? upper : lower,
    logWithin: margin.higherIsWorse ? lower : upper,
    rollbackAt: -Math.log(context.alphaRollback),
    promoteAt: -Math.log(context.alphaPromote),
    interval: toInterval(contrast.toEffect(worseBound), contrast.toEffect(betterBound), margin),
  }
}

/** The cohort's statistic, computed on the sorted values so that their order never matters. */
function toStatistic(snapshot: CohortSnapshot, metric: NumericMetric): CohortStatistic {
  const values: Sample = toAscending(snapshot.values?.[metric.source] ?? [])
  const n = values.length
  if (n === 0)
    return { n: 0, estimate: Number.NaN, variance: Number.NaN, standardDeviation: Number.NaN }
  const { mean, variance } = meanAndVariance(values)
  if (metric.statistic === 'mean') {
    return {
      n,
      estimate: mean,
      variance: n > 1 ? variance / n : Number.NaN,
      standardDeviation: Math.sqrt(variance),
    }
  }
  const requests = Math.max(1, snapshot.requests)
  const sumOfSquares = sumSquares(values)
  return {
    n,
    estimate: compensatedSum(values, 0) / requests,
    variance: sumOfSquares / requests ** 2,
    standardDeviation: Math.sqrt(variance),
  }
}

function sumSquares(values: Sample): number {
  const squares = Float64Array.from(values, (value) => value * value).sort()
  return compensatedSum(squares, 0)
}

function toEffect(baseline: number, canary: number, margin: Margin): number | null {
  if (!Number.isFinite(baseline) || !Number.isFinite(canary)) return null
  if (margin.scale === 'absolute') return canary - baseline
  return baseline > 0 ? canary / baseline - 1 : null
}

function toEstimate(statistic: CohortStatistic): CohortEstimate {
  const finite = (value: number): number | null => (Number.isFinite(value) ? value : null)
  return {
    n: statistic.n,
    estimate: finite(statistic.estimate),
    standardDeviation: finite(statistic.standardDeviation),
  }
}

function describeMean(side: CohortEstimate): string {
  return `${formatNumber(side.estimate)} (${side.n} events)`
}
