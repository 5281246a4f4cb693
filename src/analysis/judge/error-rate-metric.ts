import type { ErrorRateMetric } from '../policy/policy-types.ts'
import {
  logRateRatioEValue,
  rateRatioBound,
  toRateRatioData,
  type PairedBlock,
  type RateRatioData,
} from '../sequential/rate-ratio.ts'
import { logSequentialTFromSums } from '../sequential/sequential-t.ts'
import { logNormalMixtureLower, logNormalMixtureUpper } from '../sequential/normal-mixture.ts'
import { logRateBelowEValue } from './burn-guard.ts'
import { formatNumber, formatPercent } from './format.ts'
import type { CohortEstimate, DispersionReport } from './judge-types.ts'
import {
  growthToDecide,
  isBeyond,
  toInterval,
  toMargin,
  type Margin,
  type MetricContext,
  type MetricEvaluation,
} from './metric-context.ts'
import {
  contrastUnits,
  estimateDispersion,
  type Dispersion,
  type RateContrast,
} from './minute-contrast.ts'
import { noDataResult, toMetricResult } from './metric-result.ts'
import { contrastBound } from './contrast-bound.ts'

const T_RULE = 'sequential t e-process on per-minute error-rate differences (Lai 1976)'
const EXACT_RULE = 'conditional binomial rate-ratio e-process over complete minutes (exact)'
const BELOW_RULE = "exact e-process on the canary's error rate against the absolute floor"
const DIFFERENCE_RULE =
  'normal-mixture SPRT on per-minute differences with binomial variance (per request, Johari et al. 2022)'
const TEST =
  'per-minute units: sequential t e-process on per-minute error-rate differences, variance from the minutes (Lai 1976; robust to overdispersion), ' +
  'with the exact per-request rate-ratio e-process when the minutes show no extra dispersion (each at α/2)'

/** The exact per-request rule counts only after this many minutes... */
export const MIN_UNITS_FOR_EXACT = 5
/**
 * ...and while no dispersion factor exceeds what independent requests give in 19 of 20 cases
 * (the χ² 95% quantile over its degrees of freedom, {@link maxDispersionForExact}).
 */
const DISPERSION_QUANTILE_Z = 1.6448536269514722

/**
 * Judges the error rate of the canary against the baseline on complete minutes, never on
 * pooled totals (with a ramping split and a drifting base rate, pooled totals show an effect
 * that no minute has: Simpson's paradox).
 *
 * Two rules, each at half the metric's α (a union bound):
 * - the sequential t e-process ({@link logSequentialTFromSums}) on per-minute differences of
 *   the error rates ({@link contrastUnits}): minutes are the units and their spread is
 *   estimated from the data, so noise that hits one cohort's minute (a GC pause, a noisy
 *   neighbour) widens the test instead of rolling the canary back;
 * - the exact conditional rate-ratio e-process ({@link logRateRatioEValue}), valid when requests
 *   are independent and much faster then, used only while the minutes show no extra dispersion
 *   (at least {@link MIN_UNITS_FOR_EXACT} minutes and a dispersion factor φ̂ ≤
 *   {@link MAX_DISPERSION_FOR_EXACT}, {@link estimateDispersion}).
 *
 * A relative tolerance r with an absolute floor a is two contrasts, p_c − (1 + r)p_b and
 * p_c − p_b − a: the canary is worse only when both are shown positive (an intersection-union
 * test, Berger 1982), and within tolerance when either is shown negative (each at α/k for k
 * contrasts). The floor's within side also uses the exact e-process that the canary's own rate
 * is below a, which is how zero errors on both sides promote.
 */
export function judgeErrorRate(metric: ErrorRateMetric, context: MetricContext): MetricEvaluation {
  const margin = toMargin(metric)
  const baseline = toEstimate(context.baseline.requests, context.baseline.errors)
  const canary = toEstimate(context.canary.requests, context.canary.errors)
  const alpha = { rollback: context.alphaRollback, promote: context.alphaPromote }
  if (baseline.n === 0 || canary.n === 0) {
    return {
      result: noDataResult(metric, TEST, margin, baseline, canary, alpha),
      growthToDecide: () => null,
      leaningWorse: false,
    }
  }
  const shortOfSamples = Math.min(baseline.n, canary.n) < metric.minSamples
  const common = {
    metric,
    test: TEST,
    baseline,
    canary,
    margin,
    shortOfSamples,
    alphaRollback: context.alphaRollback,
    alphaPromote: context.alphaPromote,
    describe: describeRate,
    unit: '',
  }
  if (context.blocks === null) {
    return {
      result: toMetricResult({
        ...common,
        effect: null,
        interval: [null, null],
        logEWorse: null,
        logEWithin: null,
        worse: false,
        within: false,
        decidedBy: null,
        dispersion: null,
        note: 'the cohorts carry no per-minute counts, and pooled totals never decide (a ramping split makes them lie: Simpson\u2019s paradox)',
      }),
      growthToDecide: () => null,
      leaningWorse: false,
    }
  }
  const evidence = assess(context.blocks, margin)
  const rollbackAt = -Math.log(context.alphaRollback)
  const promoteAt = -Math.log(context.alphaPromote)
  const findings = evidence.at(1)
  const effect = stratifiedEffect(context.blocks, margin)
  const interval = intervalOf(context.blocks, margin, evidence.exactAllowed, alpha)
  const result = toMetricResult({
    ...common,
    effect,
    interval,
    logEWorse: findings.worse,
    logEWithin: findings.within,
    worse: findings.worse >= rollbackAt,
    within: findings.within >= promoteAt,
    decidedBy:
      findings.worse >= rollbackAt
        ? findings.worseRule
        : findings.within >= promoteAt
          ? findings.withinRule
          : null,
    dispersion: evidence.report,
    note: describeDispersion(evidence.report),
  })
  const samplesGrowth = metric.minSamples / Math.max(1, Math.min(baseline.n, canary.n))
  return {
    result,
    growthToDecide: () => {
      const evidenceGrowth = growthToDecide((k) => {
        const scaled = evidence.at(k)
        return scaled.worse >= rollbackAt || scaled.within >= promoteAt
      })
      return evidenceGrowth === null ? null : Math.max(evidenceGrowth, samplesGrowth)
    },
    leaningWorse: isBeyond(effect, margin),
  }
}

/** The contrasts a margin asks for: the tolerance, and the floor when there is one. */
export function toContrasts(margin: Margin): RateContrast[] {
  if (margin.scale === 'absolute') return [{ rho: 1, offset: margin.threshold }]
  const relative = { rho: 1 + margin.threshold, offset: 0 }
  return margin.floor === 0 ? [relative] : [relative, { rho: 1, offset: margin.floor }]
}

interface Evidence {
  /** ln e-values (split and combined) at k times the current data. */
  readonly at: (k: number) => {
    worse: number
    within: number
    worseRule: string
    withinRule: string
  }
  readonly exactAllowed: boolean
  readonly report: DispersionReport
}

interface ContrastData {
  readonly contrast: RateContrast
  readonly n: number
  readonly sum: number
  readonly squares: number
  readonly hasErrors: boolean
  /** Exact rule's data when the contrast is a pure ratio (offset 0). */
  readonly ratio: RateRatioData | null
  /** Mean binomial variance of the units and mean weight (for a contrast with an offset). */
  readonly binomialVariance: number
  readonly meanWeight: number
}

function assess(blocks: readonly PairedBlock[], margin: Margin): Evidence {
  const contrasts = toContrasts(margin)
  const dispersion = estimateDispersion(blocks, contrasts[0] as RateContrast)
  const totals = canaryTotals(blocks)
  const anyErrors = blocks.some((block) => block.canaryErrors + block.baselineErrors > 0)
  const exactAllowed = isExactAllowed(dispersion, anyErrors)
  const data: ContrastData[] = contrasts.map((contrast) => {
    const units = contrastUnits(blocks, contrast)
    return {
      contrast,
      n: units.length,
      sum: units.reduce((total, x) => total + x, 0),
      squares: units.reduce((total, x) => total + x * x, 0),
      hasErrors: anyErrors,
      ratio: contrast.offset === 0 ? toRateRatioData(blocks) : null,
      ...binomialUnits(blocks, contrast),
    }
  })
  const sign = margin.higherIsWorse ? 1 : -1
  const ln2 = Math.LN2
  const lnK = Math.log(contrasts.length)
  const at = (k: number) => {
    let worse = Infinity
    let worseRule = T_RULE
    let within = -Infinity
    let withinRule = T_RULE
    for (const item of data) {
      const t = tEValues(item, k, sign)
      const exact = exactEValues(item, k, margin, totals, exactAllowed)
      const contrastWorse = Math.max(t.worse, exact.worse) - ln2
      if (contrastWorse < worse) {
        worse = contrastWorse
        worseRule = exact.worse > t.worse ? exact.worseRule : T_RULE
      }
      const contrastWithin = Math.max(t.within, exact.within) - ln2 - lnK
      if (contrastWithin > within) {
        within = contrastWithin
        withinRule = exact.within > t.within ? exact.withinRule : T_RULE
      }
    }
    return { worse, within, worseRule, withinRule }
  }
  return {
    at,
    exactAllowed,
    report: {
      units: dispersion.units,
      factor: largest([dispersion.factor, dispersion.baselineFactor, dispersion.canaryFactor]),
      exactAllowed,
    },
  }
}

function isExactAllowed(dispersion: Dispersion, anyErrors: boolean): boolean {
  if (!anyErrors) return dispersion.units >= 1
  if (dispersion.units < MIN_UNITS_FOR_EXACT) return false
  const limit = maxDispersionForExact(dispersion.units - 1)
  return [dispersion.factor, dispersion.baselineFactor, dispersion.canaryFactor].every(
    (factor) => factor === null || factor <= limit,
  )
}

/**
 * The χ²ₖ 95% quantile over k, k = minutes − 1 (Wilson & Hilferty 1931, PNAS 17(12)): the
 * largest dispersion factor that independent requests give in 19 of 20 analyses.
 */
export function maxDispersionForExact(k: number): number {
  const a = 2 / (9 * k)
  return (1 - a + DISPERSION_QUANTILE_Z * Math.sqrt(a)) ** 3
}

/** The t rule's ln e-values; k times the minutes with the same mean and spread. */
function tEValues(item: ContrastData, k: number, sign: number): { worse: number; within: number } {
  // Without a single error the minutes' rates are all zero: no spread to learn from.
  if (!item.hasErrors || item.n === 0) return { worse: 0, within: 0 }
  return {
    worse: logSequentialTFromSums(k * item.n, sign * k * item.sum, k * item.squares),
    within: logSequentialTFromSums(k * item.n, -sign * k * item.sum, k * item.squares),
  }
}

function exactEValues(
  item: ContrastData,
  k: number,
  margin: Margin,
  totals: { requests: number; errors: number },
  allowed: boolean,
): { worse: number; within: number; worseRule: string; withinRule: string } {
  if (!allowed)
    return { worse: -Infinity, within: -Infinity, worseRule: EXACT_RULE, withinRule: EXACT_RULE }
  if (item.ratio !== null) {
    const scaled = k === 1 ? item.ratio : scaleRateRatioData(item.ratio, k)
    const worseSide = margin.higherIsWorse ? 'upper' : 'lower'
    const betterSide = margin.higherIsWorse ? 'lower' : 'upper'
    return {
      worse: logRateRatioEValue(scaled, item.contrast.rho, worseSide),
      within: logRateRatioEValue(scaled, item.contrast.rho, betterSide),
      worseRule: EXACT_RULE,
      withinRule: EXACT_RULE,
    }
  }
  // A difference: the normal-mixture SPRT on the units' mean with their binomial variance
  // (Johari et al. 2022), per request and so only without extra dispersion.
  const sign = margin.higherIsWorse ? 1 : -1
  const estimate = {
    estimate: item.n > 0 ? item.sum / item.n : 0,
    variance: item.n > 0 ? item.binomialVariance / (item.n * k) : Infinity,
  }
  const usable = item.n > 0 && estimate.variance > 0 && Number.isFinite(estimate.variance)
  const mixed = (side: typeof logNormalMixtureUpper): number =>
    usable
      ? logMeanExp(DIFFERENCE_TAUS.map((tau) => side(estimate, 0, tau * item.meanWeight)))
      : -Infinity
  const upper = mixed(logNormalMixtureUpper)
  const lower = mixed(logNormalMixtureLower)
  // p_c < a implies p_c < p_b + a: the canary's own rate below the floor shows it within.
  const below =
    margin.higherIsWorse && item.contrast.offset > 0
      ? logRateBelowEValue(k * totals.requests, k * totals.errors, item.contrast.offset)
      : -Infinity
  const mixtureWithin = sign > 0 ? lower : upper
  return {
    worse: sign > 0 ? upper : lower,
    within: Math.max(mixtureWithin, below),
    worseRule: DIFFERENCE_RULE,
    withinRule: below > mixtureWithin ? BELOW_RULE : DIFFERENCE_RULE,
  }
}

/**
 * Mixing scales of the difference rule, in error-rate units (0.1 to 3 percentage points): the
 * e-values of the scales are averaged, so the rule is within a constant of the best of them.
 */
const DIFFERENCE_TAUS = [0.001, 0.003, 0.01, 0.03]

function logMeanExp(values: readonly number[]): number {
  const top = Math.max(...values)
  if (!Number.isFinite(top)) return top
  return (
    top + Math.log(values.reduce((sum, value) => sum + Math.exp(value - top), 0) / values.length)
  )
}

/**
 * The units' mean binomial variance, the cohorts' error rates taken from their totals
 * (Agresti-Caffo adjusted, (e + 1)/(n + 2), so it is never zero), and their mean weight.
 */
function binomialUnits(
  blocks: readonly PairedBlock[],
  contrast: RateContrast,
): { binomialVariance: number; meanWeight: number } {
  const paired = blocks.filter((block) => block.canaryRequests > 0 && block.baselineRequests > 0)
  if (paired.length === 0) return { binomialVariance: 0, meanWeight: 0 }
  const adjusted = (errors: number, requests: number): number => (errors + 1) / (requests + 2)
  let cr = 0
  let ce = 0
  let br = 0
  let be = 0
  for (const block of paired) {
    cr += block.canaryRequests
    ce += block.canaryErrors
    br += block.baselineRequests
    be += block.baselineErrors
  }
  const pc = adjusted(ce, cr)
  const pb = adjusted(be, br)
  const rho2 = contrast.rho * contrast.rho
  let variance = 0
  let weight = 0
  for (const block of paired) {
    const scale = 1 / block.canaryRequests + rho2 / block.baselineRequests
    variance +=
      ((pc * (1 - pc)) / block.canaryRequests + (rho2 * pb * (1 - pb)) / block.baselineRequests) /
      scale
    weight += 1 / Math.sqrt(scale)
  }
  return { binomialVariance: variance / paired.length, meanWeight: weight / paired.length }
}

function largest(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null)
  return known.length === 0 ? null : Math.max(...known)
}

function canaryTotals(blocks: readonly PairedBlock[]): { requests: number; errors: number } {
  let requests = 0
  let errors = 0
  for (const block of blocks) {
    requests += block.canaryRequests
    errors += block.canaryErrors
  }
  return { requests, errors }
}

/**
 * Anytime-valid bounds on the effect: for a relative tolerance on the ratio − 1 (the t rule's
 * confidence sequence, intersected with the exact rule's while it is allowed), for an absolute
 * one on the difference; each rule's bound at half the level, as the tests.
 */
function intervalOf(
  blocks: readonly PairedBlock[],
  margin: Margin,
  exactAllowed: boolean,
  alpha: { rollback: number; promote: number },
): readonly [number | null, number | null] {
  const worseSide = margin.higherIsWorse ? 'upper' : 'lower'
  const betterSide = margin.higherIsWorse ? 'lower' : 'upper'
  const worseT = contrastBound(blocks, margin.scale, worseSide, alpha.rollback / 2)
  const betterT = contrastBound(blocks, margin.scale, betterSide, alpha.promote / 2)
  if (margin.scale === 'absolute' || !exactAllowed) return toInterval(worseT, betterT, margin)
  const data = toRateRatioData(blocks)
  const exactWorse = rateRatioBound(data, worseSide, alpha.rollback / 2)
  const exactBetter = rateRatioBound(data, betterSide, alpha.promote / 2)
  const tighter = (
    t: number | null,
    exact: number | null,
    side: 'upper' | 'lower',
  ): number | null => {
    const fromExact = exact === null ? null : exact - 1
    if (t === null) return fromExact
    if (fromExact === null) return t
    // 'upper' tests give lower bounds (take the larger), 'lower' tests upper bounds.
    return side === 'upper' ? Math.max(t, fromExact) : Math.min(t, fromExact)
  }
  return toInterval(
    tighter(worseT, exactWorse, worseSide),
    tighter(betterT, exactBetter, betterSide),
    margin,
  )
}

/**
 * The effect stratified by minute: for a relative tolerance the Mantel-Haenszel rate ratio − 1,
 * Σ cᵢnᵇᵢ/Nᵢ / Σ bᵢnᶜᵢ/Nᵢ − 1 (Mantel & Haenszel 1959, JNCI 22(4)); for an absolute one the
 * Mantel-Haenszel risk difference, Σ (ĉᵢ − b̂ᵢ)wᵢ / Σ wᵢ with wᵢ = nᶜᵢnᵇᵢ/Nᵢ (Greenland &
 * Robins 1985, Biometrics 41(1)). Free of the Simpson's-paradox drift of pooled rates.
 */
function stratifiedEffect(blocks: readonly PairedBlock[], margin: Margin): number | null {
  let numerator = 0
  let denominator = 0
  for (const block of blocks) {
    const requests = block.baselineRequests + block.canaryRequests
    if (block.baselineRequests === 0 || block.canaryRequests === 0) continue
    if (margin.scale === 'relative') {
      numerator += (block.canaryErrors * block.baselineRequests) / requests
      denominator += (block.baselineErrors * block.canaryRequests) / requests
    } else {
      const weight = (block.canaryRequests * block.baselineRequests) / requests
      numerator +=
        (block.canaryErrors / block.canaryRequests -
          block.baselineErrors / block.baselineRequests) *
        weight
      denominator += weight
    }
  }
  if (!(denominator > 0)) return null
  return margin.scale === 'relative' ? numerator / denominator - 1 : numerator / denominator
}

/** The same data k times over: what the e-values would be with k times the traffic. */
function scaleRateRatioData(data: RateRatioData, growth: number): RateRatioData {
  return {
    canaryErrors: data.canaryErrors * growth,
    baselineErrors: data.baselineErrors * growth,
    shares: data.shares.map(([share, errors]) => [share, errors * growth] as const),
  }
}

function describeDispersion(report: DispersionReport): string {
  const factor =
    report.factor === null
      ? 'no spread measured yet'
      : `dispersion ${formatNumber(report.factor)}× the binomial`
  return report.exactAllowed
    ? `${report.units} complete minutes, ${factor}: the exact per-request rule counts too`
    : `${report.units} complete minutes, ${factor}: only the per-minute rule counts`
}

function toEstimate(requests: number, errors: number): CohortEstimate {
  return { n: requests, errors, estimate: requests > 0 ? errors / requests : null }
}

function describeRate(side: CohortEstimate): string {
  return `${formatPercent(side.estimate)} (${side.errors ?? 0} of ${side.n} requests)`
}
