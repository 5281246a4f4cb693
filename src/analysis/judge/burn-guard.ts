import { EFFECT_GRID, LOG_GRID_WEIGHT, logSumExpOver } from '../sequential/effect-grid.ts'

/**
 * ln of the e-value that a cohort's error rate exceeds p* over a window: the one-sample
 * likelihood ratio Π (p₁/p*)^E ((1 − p₁)/(1 − p*))^(N − E) mixed uniformly over p₁ = p*·e^u on
 * the geometric grid of u (alternatives with p₁ ≥ 1 are dropped, which only lowers the
 * e-value). For a window that starts at a fixed minute, this is a nonnegative supermartingale
 * in the window's requests whenever every request fails with probability ≤ p*, so Ville's
 * inequality applies (Ville 1939; Ramdas, Grünwald, Vovk & Shafer 2023, "Game-theoretic
 * statistics and safe anytime-valid inference", Statist. Sci. 38(4)).
 */
export function logBurnEValue(requests: number, errors: number, limitRate: number): number {
  if (requests === 0 || !(limitRate < 1)) return 0
  const logE = logSumExpOver(EFFECT_GRID, (u) => {
    const p1 = limitRate * Math.exp(u)
    if (p1 >= 1) return -Infinity
    return (
      LOG_GRID_WEIGHT +
      errors * u +
      (requests - errors) * (Math.log1p(-p1) - Math.log1p(-limitRate))
    )
  })
  return logE === -Infinity ? 0 : logE
}

/**
 * ln of the threshold the burn e-value must reach: the windows slide, so each start minute the
 * long window can have during the analysis is its own test; a union bound over those
 * `startMinutes` and the `pairs` of windows keeps the chance of any false trip below α.
 */
export function logBurnThreshold(startMinutes: number, pairs: number, alpha: number): number {
  return Math.log(startMinutes) + Math.log(pairs) - Math.log(alpha)
}

/**
 * ln of the e-value that a cohort's error rate is below p* (H₀: rate ≥ p*): the mirror image
 * of {@link logBurnEValue}, mixing over p₁ = p*·e^(−u). Exact for independent requests, at any
 * polling schedule when the counts are cumulative from a fixed start (Ville's inequality).
 */
export function logRateBelowEValue(requests: number, errors: number, limitRate: number): number {
  if (requests === 0 || !(limitRate > 0) || !(limitRate < 1)) return 0
  const logE = logSumExpOver(EFFECT_GRID, (u) => {
    const p1 = limitRate * Math.exp(-u)
    return (
      LOG_GRID_WEIGHT -
      errors * u +
      (requests - errors) * (Math.log1p(-p1) - Math.log1p(-limitRate))
    )
  })
  return logE === -Infinity ? 0 : logE
}
