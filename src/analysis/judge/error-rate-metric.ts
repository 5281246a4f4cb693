import type { ErrorRateMetric } from '../policy/policy-types.ts'
import {
  logNormalMixtureLower,
  logNormalMixtureUpper,
  normalMixtureLowerBound,
  normalMixtureUpperBound,
  type NormalEstimate,
} from '../sequential/normal-mixture.ts'
import {
  logRateRatioEValue,
  rateRatioBound,
  toRateRatioData,
  type PairedBlock,
  type RateRatioData,
} from '../sequential/rate-ratio.ts'
import { formatPercent } from './format.ts'
import type { CohortEstimate } from './judge-types.ts'
import {
  growthToDecide,
  isBeyond,
  toInterval,
  toMargin,
  type Margin,
  type MetricContext,
  type MetricEvaluation,
} from './metric-context.ts'
import { noDataResult, toMetricResult, type MetricFindings } from './metric-result.ts'

const RATE_RATIO_TEST =
  'conditional binomial rate-ratio mixture e-process over complete minutes (exact, anytime-valid)'
const SINGLE_BLOCK_TEST =
  'conditional binomial rate-ratio mixture e-value over the totals (no minute counts: valid for one look)'
const DIFFERENCE_TEST =
  'normal-mixture SPRT on the difference of proportions (asymptotically anytime-valid)'

/** Mixing scale of the difference test when the tolerance is zero (0.1 percentage point). */
const MIN_DIFFERENCE_TAU = 0.001

/**
 * Judges the error rate of the canary against the baseline. A relative tolerance uses the
 * exact conditional rate-ratio e-process ({@link logRateRatioEValue}) over complete minutes; an
 * absolute one the normal-mixture SPRT on p_c − p_b, which needs `minSamples` requests per
 * cohort before it may roll back because its guarantee is asymptotic.
 */
export function judgeErrorRate(metric: ErrorRateMetric, context: MetricContext): MetricEvaluation {
  const margin = toMargin(metric)
  const baseline = toEstimate(context.baseline.requests, context.baseline.errors)
  const canary = toEstimate(context.canary.requests, context.canary.errors)
  const alpha = { rollback: context.alphaRollback, promote: context.alphaPromote }
  if (baseline.n === 0 || canary.n === 0) {
    const test = margin.scale === 'relative' ? RATE_RATIO_TEST : DIFFERENCE_TEST
    return {
      result: noDataResult(metric, test, margin, baseline, canary, alpha),
      growthToDecide: () => null,
      leaningWorse: false,
    }
  }
  const shortOfSamples = Math.min(baseline.n, canary.n) < metric.minSamples
  const common = {
    metric,
    baseline,
    canary,
    margin,
    shortOfSamples,
    alphaRollback: context.alphaRollback,
    alphaPromote: context.alphaPromote,
    describe: describeRate,
    unit: '',
  }
  const findings =
    margin.scale === 'relative'
      ? rateRatioFindings(context, margin, baseline, canary)
      : differenceFindings(context, margin, baseline, canary, shortOfSamples)
  const result = toMetricResult({ ...common, ...findings.findings })
  const samplesGrowth = metric.minSamples / Math.max(1, Math.min(baseline.n, canary.n))
  return {
    result,
    growthToDecide: () => {
      const evidenceGrowth = growthToDecide(findings.decidesAt)
      return evidenceGrowth === null ? null : Math.max(evidenceGrowth, samplesGrowth)
    },
    leaningWorse: isBeyond(result.effect, margin),
  }
}

type RuleFindings = Pick<
  MetricFindings,
  'test' | 'effect' | 'interval' | 'logEWorse' | 'logEWithin' | 'worse' | 'within' | 'note'
>

interface RuleOutcome {
  readonly findings: RuleFindings
  readonly decidesAt: (growth: number) => boolean
}

function rateRatioFindings(
  context: MetricContext,
  margin: Margin,
  baseline: CohortEstimate,
  canary: CohortEstimate,
): RuleOutcome {
  const blocks = context.blocks ?? [
    {
      baselineRequests: baseline.n,
      baselineErrors: baseline.errors ?? 0,
      canaryRequests: canary.n,
      canaryErrors: canary.errors ?? 0,
    },
  ]
  const data = toRateRatioData(blocks)
  const rho0 = 1 + margin.threshold
  const worseSide = margin.higherIsWorse ? 'upper' : 'lower'
  const betterSide = margin.higherIsWorse ? 'lower' : 'upper'
  const evidence = (scaled: RateRatioData): { worse: number; within: number } => ({
    worse: logRateRatioEValue(scaled, rho0, worseSide),
    within: logRateRatioEValue(scaled, rho0, betterSide),
  })
  const decides = (scaled: RateRatioData): boolean => {
    const { worse, within } = evidence(scaled)
    return worse >= -Math.log(context.alphaRollback) || within >= -Math.log(context.alphaPromote)
  }
  const { worse, within } = evidence(data)
  const worseBound = rateRatioBound(data, worseSide, context.alphaRollback)
  const betterBound = rateRatioBound(data, betterSide, context.alphaPromote)
  // A side the test cannot bound yet is 0 for the ratio's lower end and +inf for its upper end.
  const lowerRatio = (margin.higherIsWorse ? worseBound : betterBound) ?? 0
  const upperRatio = margin.higherIsWorse ? betterBound : worseBound
  const ratio = mantelHaenszelRatio(blocks)
  return {
    findings: {
      test: context.blocks === null ? SINGLE_BLOCK_TEST : RATE_RATIO_TEST,
      effect: ratio === null ? null : ratio - 1,
      interval: [lowerRatio - 1, upperRatio === null ? null : upperRatio - 1],
      logEWorse: worse,
      logEWithin: within,
      worse: worse >= -Math.log(context.alphaRollback),
      within: within >= -Math.log(context.alphaPromote),
      ...(data.canaryErrors + data.baselineErrors === 0
        ? { note: 'no errors in complete minutes yet, so the ratio is not informed' }
        : {}),
    },
    decidesAt: (growth) => decides(scaleRateRatioData(data, growth)),
  }
}

function differenceFindings(
  context: MetricContext,
  margin: Margin,
  baseline: CohortEstimate,
  canary: CohortEstimate,
  shortOfSamples: boolean,
): RuleOutcome {
  const estimate = differenceEstimate(baseline, canary)
  const tau = Math.max(Math.abs(margin.threshold), MIN_DIFFERENCE_TAU)
  const theta0 = margin.threshold
  const rollbackAt = -Math.log(context.alphaRollback)
  const promoteAt = -Math.log(context.alphaPromote)
  const logWorse = (input: NormalEstimate): number =>
    margin.higherIsWorse
      ? logNormalMixtureUpper(input, theta0, tau)
      : logNormalMixtureLower(input, theta0, tau)
  const logWithin = (input: NormalEstimate): number =>
    margin.higherIsWorse
      ? logNormalMixtureLower(input, theta0, tau)
      : logNormalMixtureUpper(input, theta0, tau)
  const worseBound = margin.higherIsWorse
    ? normalMixtureLowerBound(estimate, tau, context.alphaRollback)
    : normalMixtureUpperBound(estimate, tau, context.alphaRollback)
  const betterBound = margin.higherIsWorse
    ? normalMixtureUpperBound(estimate, tau, context.alphaPromote)
    : normalMixtureLowerBound(estimate, tau, context.alphaPromote)
  const worse = logWorse(estimate)
  const within = logWithin(estimate)
  return {
    findings: {
      test: DIFFERENCE_TEST,
      effect: estimate.estimate,
      interval: toInterval(worseBound, betterBound, margin),
      logEWorse: worse,
      logEWithin: within,
      // The guarantee is asymptotic: no rollback before minSamples.
      worse: !shortOfSamples && worse >= rollbackAt,
      within: within >= promoteAt,
    },
    decidesAt: (growth) => {
      const scaled = { estimate: estimate.estimate, variance: estimate.variance / growth }
      return logWorse(scaled) >= rollbackAt || logWithin(scaled) >= promoteAt
    },
  }
}

/**
 * The Mantel-Haenszel rate ratio stratified by minute, Σ cᵢnᵇᵢ/Nᵢ / Σ bᵢnᶜᵢ/Nᵢ (Mantel & Haenszel
 * 1959, JNCI 22(4); Rothman, Greenland & Lash, Modern Epidemiology, ch. 15): the ratio the
 * conditional test bounds, free of the Simpson's-paradox drift a pooled ratio suffers when the
 * traffic split and the base rate both change over time. With a constant split it equals the
 * ratio of the pooled rates. null while the baseline has no errors.
 */
function mantelHaenszelRatio(blocks: readonly PairedBlock[]): number | null {
  let numerator = 0
  let denominator = 0
  for (const block of blocks) {
    const requests = block.baselineRequests + block.canaryRequests
    if (requests === 0) continue
    numerator += (block.canaryErrors * block.baselineRequests) / requests
    denominator += (block.baselineErrors * block.canaryRequests) / requests
  }
  return denominator > 0 ? numerator / denominator : null
}

/** p_c − p_b, with a variance from Agresti-Caffo adjusted rates ((e + 1)/(n + 2)), never zero. */
function differenceEstimate(baseline: CohortEstimate, canary: CohortEstimate): NormalEstimate {
  const adjusted = (side: CohortEstimate): number => ((side.errors ?? 0) + 1) / (side.n + 2)
  const pb = adjusted(baseline)
  const pc = adjusted(canary)
  return {
    estimate: (canary.estimate ?? 0) - (baseline.estimate ?? 0),
    variance: (pc * (1 - pc)) / canary.n + (pb * (1 - pb)) / baseline.n,
  }
}

/** The same data k times over: what the e-values would be with k times the traffic. */
function scaleRateRatioData(data: RateRatioData, growth: number): RateRatioData {
  return {
    canaryErrors: data.canaryErrors * growth,
    baselineErrors: data.baselineErrors * growth,
    shares: data.shares.map(([share, errors]) => [share, errors * growth] as const),
  }
}

function toEstimate(requests: number, errors: number): CohortEstimate {
  return { n: requests, errors, estimate: requests > 0 ? errors / requests : null }
}

function describeRate(side: CohortEstimate): string {
  return `${formatPercent(side.estimate)} (${side.errors ?? 0} of ${side.n} requests)`
}
