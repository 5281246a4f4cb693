import type { LatencyMetric } from '../policy/policy-types.ts'
import { logSequentialTFromSums } from '../sequential/sequential-t.ts'
import { formatNumber } from './format.ts'
import type { CohortEstimate, DispersionReport } from './judge-types.ts'
import { MIN_LATENCY_MS, type QuantileUnit } from './latency-units.ts'
import {
  growthToDecide,
  isBeyond,
  toInterval,
  type Margin,
  type MetricContext,
  type MetricEvaluation,
} from './metric-context.ts'
import { toMetricResult } from './metric-result.ts'

export const UNIT_TEST =
  'per-minute units: sequential t e-process on per-minute log ratios (relative) or differences (absolute) of the cohorts\u2019 quantiles, variance from the minutes (Lai 1976; robust to latency shocks that hit one cohort)'

const BOUND_STEPS = 22

/** Sums of a contrast's units: yᵢ = f(canaryᵢ) − f(baselineᵢ) − offset. */
interface Sums {
  readonly n: number
  readonly sum: number
  readonly squares: number
}

/**
 * Judges a latency quantile on units of minutes ({@link quantileUnits}): for each unit the
 * difference of the cohorts' log quantiles (relative tolerance r: against ln(1 + r)) or of the
 * quantiles (absolute), tested with the sequential t e-process ({@link logSequentialTFromSums}),
 * whose variance comes from the units. A shock that slows one cohort's whole minute (a GC
 * pause, a cold cache) moves one unit, and the spread it adds widens the test. With an absolute
 * floor under a relative tolerance both contrasts must show the canary worse (intersection-
 * union), and either may show it within (each at α/2).
 */
export function judgeLatencyUnits(
  metric: LatencyMetric,
  context: MetricContext,
  units: readonly QuantileUnit[],
  margin: Margin,
  estimates: { baseline: CohortEstimate; canary: CohortEstimate },
): MetricEvaluation {
  const contrasts = toContrasts(margin)
  const sums = contrasts.map((contrast) => toSums(units, contrast.log, contrast.offset))
  const sign = margin.higherIsWorse ? 1 : -1
  const lnK = Math.log(contrasts.length)
  const at = (k: number) => {
    let worse = Infinity
    let within = -Infinity
    for (const s of sums) {
      worse = Math.min(worse, logSequentialTFromSums(k * s.n, sign * k * s.sum, k * s.squares))
      within = Math.max(
        within,
        logSequentialTFromSums(k * s.n, -sign * k * s.sum, k * s.squares) - lnK,
      )
    }
    return { worse: units.length === 0 ? 0 : worse, within: units.length === 0 ? 0 : within }
  }
  const rollbackAt = -Math.log(context.alphaRollback)
  const promoteAt = -Math.log(context.alphaPromote)
  const evidence = at(1)
  const primary = toSums(units, margin.scale === 'relative', 0)
  const mean = primary.n > 0 ? primary.sum / primary.n : null
  const effect = mean === null ? null : margin.scale === 'relative' ? Math.expm1(mean) : mean
  const dispersion = toDispersion(units, margin.scale === 'relative')
  const shortOfSamples = Math.min(estimates.baseline.n, estimates.canary.n) < metric.minSamples
  const worseSide = margin.higherIsWorse ? 'upper' : 'lower'
  const betterSide = margin.higherIsWorse ? 'lower' : 'upper'
  const fromLog = (value: number | null): number | null =>
    value === null ? null : margin.scale === 'relative' ? Math.expm1(value) : value
  const interval = toInterval(
    fromLog(bound(primary, worseSide, context.alphaRollback)),
    fromLog(bound(primary, betterSide, context.alphaPromote)),
    margin,
  )
  const result = toMetricResult({
    metric,
    test: UNIT_TEST,
    baseline: estimates.baseline,
    canary: estimates.canary,
    effect,
    interval,
    margin,
    logEWorse: evidence.worse,
    logEWithin: evidence.within,
    worse: evidence.worse >= rollbackAt,
    within: evidence.within >= promoteAt,
    shortOfSamples,
    alphaRollback: context.alphaRollback,
    alphaPromote: context.alphaPromote,
    describe: describeQuantile(metric.quantile),
    unit: ' ms',
    dispersion,
    note: `${units.length} units of minutes, ${dispersion.factor === null ? 'no spread measured yet' : `dispersion ${formatNumber(dispersion.factor)}× what independent samples give`}`,
  })
  const samplesGrowth =
    metric.minSamples / Math.max(1, Math.min(estimates.baseline.n, estimates.canary.n))
  return {
    result,
    growthToDecide: () => {
      if (units.length === 0) return null
      const evidenceGrowth = growthToDecide((k) => {
        const scaled = at(k)
        return scaled.worse >= rollbackAt || scaled.within >= promoteAt
      })
      return evidenceGrowth === null ? null : Math.max(evidenceGrowth, samplesGrowth)
    },
    leaningWorse: isBeyond(effect, margin),
  }
}

function toContrasts(margin: Margin): { log: boolean; offset: number }[] {
  if (margin.scale === 'absolute') return [{ log: false, offset: margin.threshold }]
  const relative = { log: true, offset: Math.log1p(margin.threshold) }
  return margin.floor === 0 ? [relative] : [relative, { log: false, offset: margin.floor }]
}

function toSums(units: readonly QuantileUnit[], log: boolean, offset: number): Sums {
  let sum = 0
  let squares = 0
  for (const unit of units) {
    const y = log
      ? Math.log(Math.max(unit.canary, MIN_LATENCY_MS)) -
        Math.log(Math.max(unit.baseline, MIN_LATENCY_MS)) -
        offset
      : unit.canary - unit.baseline - offset
    sum += y
    squares += y * y
  }
  return { n: units.length, sum, squares }
}

/**
 * The end of the t rule's confidence sequence for the contrast (log ratio or difference): the
 * units shift by the tolerance tried, so T and Q follow in closed form and bisection is cheap.
 */
function bound(sums: Sums, side: 'upper' | 'lower', alpha: number): number | null {
  if (sums.n < 2) return null
  const target = -Math.log(alpha)
  const sign = side === 'upper' ? 1 : -1
  const rejects = (theta: number): boolean => {
    const sum = sums.sum - sums.n * theta
    const squares = sums.squares - 2 * theta * sums.sum + sums.n * theta * theta
    return logSequentialTFromSums(sums.n, sign * sum, squares) >= target
  }
  const mean = sums.sum / sums.n
  const spread = Math.sqrt(Math.max(0, sums.squares / sums.n - mean * mean)) + Math.abs(mean) + 1
  // The upper test rejects θ far below the mean, the lower test θ far above it.
  let rejected = mean - sign * 100 * spread
  let accepted = mean
  if (!rejects(rejected) || rejects(accepted)) return null
  for (let step = 0; step < BOUND_STEPS; step++) {
    const middle = (rejected + accepted) / 2
    if (rejects(middle)) rejected = middle
    else accepted = middle
  }
  return rejected
}

function toDispersion(units: readonly QuantileUnit[], log: boolean): DispersionReport {
  const n = units.length
  if (n < 2) return { units: n, factor: null, exactAllowed: false }
  const { sum, squares } = toSums(units, log, 0)
  const mean = sum / n
  const sampleVariance = (squares - n * mean * mean) / (n - 1)
  let model = 0
  for (const unit of units) model += unit.canaryError ** 2 + unit.baselineError ** 2
  model /= n
  return { units: n, factor: model > 0 ? sampleVariance / model : null, exactAllowed: false }
}

function describeQuantile(p: number): (side: CohortEstimate) => string {
  const label = `p${formatNumber(p * 100)}`
  return (side) => `${label} ${formatNumber(side.estimate)} ms (${side.n} samples)`
}
