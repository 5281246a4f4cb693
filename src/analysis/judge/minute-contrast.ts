import { logSequentialTEValue } from '../sequential/sequential-t.ts'
import type { PairedBlock } from '../sequential/rate-ratio.ts'

/**
 * A linear contrast of the cohorts' error rates, θ = p_c − ρ·p_b − a: ρ = 1 + r and a = 0 for a
 * relative tolerance r, ρ = 1 and a the margin for an absolute one (or a floor). The canary is
 * worse beyond the margin when θ > 0 (higher is worse).
 */
export interface RateContrast {
  readonly rho: number
  readonly offset: number
}

/**
 * The contrast estimated in each complete minute where both cohorts served requests: the unit
 * of the dispersion-robust rule. xᵢ = (ĉᵢ − ρ·b̂ᵢ − a) / √(1/nᶜᵢ + ρ²/nᵇᵢ), with ĉᵢ, b̂ᵢ the
 * minute's error rates. Under H₀ (θ ≤ 0 in every minute) each xᵢ has mean ≤ 0 whatever the
 * noise in either cohort's minute; the weight depends on the traffic only, so minutes with more
 * requests count more without the weight looking at the errors.
 */
export function contrastUnits(blocks: readonly PairedBlock[], contrast: RateContrast): number[] {
  const units: number[] = []
  const rho2 = contrast.rho * contrast.rho
  for (const block of blocks) {
    if (block.canaryRequests === 0 || block.baselineRequests === 0) continue
    const difference =
      block.canaryErrors / block.canaryRequests -
      (contrast.rho * block.baselineErrors) / block.baselineRequests -
      contrast.offset
    units.push(difference / Math.sqrt(1 / block.canaryRequests + rho2 / block.baselineRequests))
  }
  return units
}

/** What the per-minute units show about the binomial model's fit. */
export interface Dispersion {
  /** Minutes with requests in both cohorts. */
  readonly units: number
  /**
   * Variance of the units around their mean over the variance the binomial model (independent
   * requests) predicts for them: 1 when requests are independent, more under overdispersion
   * (noise that moves a cohort's whole minute). null with fewer than two units or no errors.
   */
  readonly factor: number | null
  /**
   * Each cohort's own Pearson dispersion: the spread of its per-minute error rates around its
   * overall rate, over the binomial spread. Noise that hits a cohort's minutes shows here first,
   * in the larger cohort most clearly. null with fewer than two units or no errors.
   */
  readonly baselineFactor: number | null
  readonly canaryFactor: number | null
}

/**
 * The dispersion factor φ̂ of the units of a contrast, the Pearson estimate of quasi-likelihood
 * (Wedderburn 1974, Biometrika 61(3); McCullagh & Nelder 1989, Generalized Linear Models §4.5):
 * the units' sample variance over the mean of their binomial variances, the error rates taken
 * from the cohorts' totals over the same minutes.
 */
export function estimateDispersion(
  blocks: readonly PairedBlock[],
  contrast: RateContrast,
): Dispersion {
  const units = contrastUnits(blocks, contrast)
  const n = units.length
  let canaryRequests = 0
  let canaryErrors = 0
  let baselineRequests = 0
  let baselineErrors = 0
  for (const block of blocks) {
    if (block.canaryRequests === 0 || block.baselineRequests === 0) continue
    canaryRequests += block.canaryRequests
    canaryErrors += block.canaryErrors
    baselineRequests += block.baselineRequests
    baselineErrors += block.baselineErrors
  }
  if (n < 2 || canaryErrors + baselineErrors === 0)
    return { units: n, factor: null, baselineFactor: null, canaryFactor: null }
  const pc = canaryErrors / canaryRequests
  const pb = baselineErrors / baselineRequests
  const rho2 = contrast.rho * contrast.rho
  let modelVariance = 0
  for (const block of blocks) {
    if (block.canaryRequests === 0 || block.baselineRequests === 0) continue
    const variance =
      (pc * (1 - pc)) / block.canaryRequests + (rho2 * pb * (1 - pb)) / block.baselineRequests
    modelVariance += variance / (1 / block.canaryRequests + rho2 / block.baselineRequests)
  }
  modelVariance /= n
  const mean = units.reduce((sum, x) => sum + x, 0) / n
  const sampleVariance = units.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1)
  const paired = blocks.filter((block) => block.canaryRequests > 0 && block.baselineRequests > 0)
  return {
    units: n,
    factor: modelVariance > 0 ? sampleVariance / modelVariance : null,
    baselineFactor: pearsonDispersion(
      paired.map((block) => [block.baselineRequests, block.baselineErrors] as const),
      pb,
    ),
    canaryFactor: pearsonDispersion(
      paired.map((block) => [block.canaryRequests, block.canaryErrors] as const),
      pc,
    ),
  }
}

/** Pearson's X²/(n − 1) of per-minute counts [requests, errors] against a common rate p. */
function pearsonDispersion(
  minutes: readonly (readonly [number, number])[],
  p: number,
): number | null {
  if (minutes.length < 2 || !(p > 0 && p < 1)) return null
  let statistic = 0
  for (const [requests, errors] of minutes) {
    statistic += (errors - requests * p) ** 2 / (requests * p * (1 - p))
  }
  return statistic / (minutes.length - 1)
}

/** ln e-values of the sequential t rule on a contrast's units, for worse and within. */
export function contrastTEValues(
  blocks: readonly PairedBlock[],
  contrast: RateContrast,
  higherIsWorse: boolean,
): { worse: number; within: number } {
  const units = contrastUnits(blocks, contrast)
  return {
    worse: logSequentialTEValue(units, higherIsWorse ? 'upper' : 'lower'),
    within: logSequentialTEValue(units, higherIsWorse ? 'lower' : 'upper'),
  }
}
