import { EFFECT_GRID, LOG_GRID_WEIGHT, logSumExpOver } from './effect-grid.ts'

/** Request and error counts of both cohorts over one block of time (one complete minute). */
export interface PairedBlock {
  readonly baselineRequests: number
  readonly baselineErrors: number
  readonly canaryRequests: number
  readonly canaryErrors: number
}

/**
 * The sufficient statistics of the conditional rate-ratio test: the canary's errors and, per
 * distinct canary traffic share s, the errors of both cohorts in blocks with that share.
 */
export interface RateRatioData {
  readonly canaryErrors: number
  readonly baselineErrors: number
  /** [share, errors] pairs, errors > 0. */
  readonly shares: readonly (readonly [number, number])[]
}

/** Sufficient statistics of blocks for the rate-ratio test (blocks with equal shares merge). */
export function toRateRatioData(blocks: readonly PairedBlock[]): RateRatioData {
  const byShare = new Map<number, number>()
  let canaryErrors = 0
  let baselineErrors = 0
  for (const block of blocks) {
    const requests = block.baselineRequests + block.canaryRequests
    const errors = block.baselineErrors + block.canaryErrors
    canaryErrors += block.canaryErrors
    baselineErrors += block.baselineErrors
    if (requests === 0 || errors === 0) continue
    const share = block.canaryRequests / requests
    byShare.set(share, (byShare.get(share) ?? 0) + errors)
  }
  const shares = [...byShare.entries()].sort((a, b) => a[0] - b[0])
  return { canaryErrors, baselineErrors, shares }
}

/** g(ρ) = Σ_blocks k · ln(1 + s(ρ − 1)), the normalizer of the conditional likelihood. */
function logNormalizer(data: RateRatioData, logRho: number): number {
  const rhoMinusOne = Math.expm1(logRho)
  let sum = 0
  for (const [share, errors] of data.shares) sum += errors * Math.log1p(share * rhoMinusOne)
  return sum
}

/**
 * ln of the e-value of the conditional rate-ratio test of H₀: ρ ≤ ρ₀ (`side` 'upper') or
 * H₀: ρ ≥ ρ₀ (`side` 'lower'), where ρ = canary error rate / baseline error rate.
 *
 * In a block where the canary serves nᶜ and the baseline nᵇ requests, an error comes from the
 * canary with probability q(ρ) = nᶜρ / (nᵇ + nᶜρ) (the classical conditional test of two
 * Poisson rates; Lehmann & Romano, Testing Statistical Hypotheses, §4.6). The e-value is the
 * likelihood ratio of the errors' cohort labels, Π_blocks q(ρ₁)^c (1 − q(ρ₁))^(k − c) /
 * (same at ρ₀) = exp(C ln(ρ₁/ρ₀) − g(ρ₁) + g(ρ₀)), mixed uniformly over alternatives
 * ρ₁ = ρ₀e^(±u) on a geometric grid of u.
 *
 * Validity, exact for Bernoulli requests: conditional on each block's request counts, every
 * block's likelihood ratio has expectation ≤ 1 under any ρ on the null side, because
 * (1 + x)ⁿ ≤ e^(nx) bounds the binomial moment generating function, whatever the baseline error
 * rate (it may change from block to block). The product over blocks is therefore a
 * nonnegative supermartingale, so is the mixture, and Ville's inequality bounds the chance it
 * ever reaches 1/α by α — at every polling schedule, provided each block is complete when it
 * enters the product (the judge uses complete minutes only).
 */
export function logRateRatioEValue(
  data: RateRatioData,
  rho0: number,
  side: 'upper' | 'lower',
): number {
  const logRho0 = Math.log(rho0)
  const g0 = logNormalizer(data, logRho0)
  return logSumExpOver(EFFECT_GRID, (u) => {
    const step = side === 'upper' ? u : -u
    return LOG_GRID_WEIGHT + data.canaryErrors * step - logNormalizer(data, logRho0 + step) + g0
  })
}

const LOG_RHO_RANGE = 12
const BOUND_STEPS = 26

/**
 * The end of the one-sided (1 − α) confidence sequence for ρ obtained by inverting
 * {@link logRateRatioEValue}: for `side` 'upper' the largest ρ₀ that the upper test rejects
 * (a lower bound on ρ), for 'lower' the smallest ρ₀ the lower test rejects (an upper bound).
 * null when no ρ₀ in e^±12 is rejected (no information yet on that side).
 */
export function rateRatioBound(
  data: RateRatioData,
  side: 'upper' | 'lower',
  alpha: number,
): number | null {
  const target = -Math.log(alpha)
  const rejects = (logRho: number): boolean =>
    logRateRatioEValue(data, Math.exp(logRho), side) >= target
  // The upper test rejects small ρ₀, the lower test large ρ₀.
  const inside = side === 'upper' ? -LOG_RHO_RANGE : LOG_RHO_RANGE
  let outside = -inside
  if (!rejects(inside)) return null
  if (rejects(outside)) return Math.exp(outside)
  let rejected = inside
  for (let step = 0; step < BOUND_STEPS; step++) {
    const middle = (rejected + outside) / 2
    if (rejects(middle)) rejected = middle
    else outside = middle
  }
  return Math.exp(rejected)
}
