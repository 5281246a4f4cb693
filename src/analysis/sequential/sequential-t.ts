import { logGamma } from '../math/log-gamma.ts'
import { logNormalCdf } from '../math/normal.ts'
import { logSumExpOver } from './effect-grid.ts'

/**
 * ln of the anytime-valid sequential t e-value for H₀: the units' mean is ≤ 0 (`side` 'upper')
 * or ≥ 0 ('lower'), the variance unknown and estimated from the units themselves.
 *
 * It is the scale-invariant Bayes factor of N(δσ, σ²) against N(0, σ²) with the right-Haar
 * prior dσ/σ on the unknown σ (Lai 1976, "On confidence sequences", Ann. Statist. 4(2);
 * Pérez-Ortiz, Lardy, de Heide & Grünwald 2024, "E-statistics, group invariance and anytime
 * valid testing", Ann. Statist. 52(4)), mixed uniformly over standardized effects δ > 0 on the
 * geometric grid {@link T_EFFECT_GRID}. With T = Σxᵢ, Q = Σxᵢ² and r = T/√Q, for n units
 *
 *   BF(δ) = e^(−nδ²/2) · Iₙ(δr) / Iₙ(0),   Iₙ(a) = ∫₀^∞ u^(n−1) e^(−u²/2 + au) du,
 *
 * a function of the data through the t statistic alone, so it does not depend on σ. Under
 * Gaussian units of mean 0 and any σ it is a nonnegative martingale (in the filtration of the
 * scale-invariant statistics), so Ville's inequality bounds the chance that it ever reaches
 * 1/α by α, at any polling schedule; BF(δ) increases with r, so a mean below 0 only lowers it.
 * For non-Gaussian units (per-minute rates, quantiles) the guarantee is approximate, and the
 * benchmark simulation checks it under overdispersion and skew.
 *
 * Units are the only independence assumption: a GC pause or a cold cache that moves one
 * cohort's minute moves one unit, and the unit-to-unit spread enters σ.
 */
export function logSequentialTEValue(units: ArrayLike<number>, side: 'upper' | 'lower'): number {
  const n = units.length
  if (n === 0) return 0
  let sum = 0
  let squares = 0
  for (let i = 0; i < n; i++) {
    const x = units[i] as number
    sum += x
    squares += x * x
  }
  return logSequentialTFromSums(n, side === 'upper' ? sum : -sum, squares)
}

/**
 * Standardized effects (mean / standard deviation of a unit) the t e-value bets on: 0.05 to
 * about 3 in steps of 1.5×. A unit is a minute, so 0.05 is an effect that takes hundreds of
 * minutes to show; smaller ones are out of reach of an analysis anyway.
 */
export const T_EFFECT_GRID: readonly number[] = Array.from(
  { length: 11 },
  (_, k) => 0.05 * 1.5 ** k,
)
const LOG_T_GRID_WEIGHT = -Math.log(T_EFFECT_GRID.length)

/** {@link logSequentialTEValue} from n, T (signed for the side) and Q. */
export function logSequentialTFromSums(n: number, sum: number, squares: number): number {
  if (n === 0 || !(squares > 0)) return 0
  const r = Math.max(-Math.sqrt(n), Math.min(Math.sqrt(n), sum / Math.sqrt(squares)))
  const logI0 = logIntegralAtZero(n)
  const logE = logSumExpOver(
    T_EFFECT_GRID,
    (delta) => LOG_T_GRID_WEIGHT - (n * delta * delta) / 2 + logIntegral(n, delta * r) - logI0,
  )
  return Number.isFinite(logE) ? logE : 0
}

/** From this many units on, the Laplace expansion replaces the quadrature. */
const LAPLACE_FROM = 24

/**
 * ln Iₙ(a) by the Laplace expansion to second order about the peak u*: with f the log
 * integrand and s² = −1/f''(u*), Iₙ ≈ e^(f(u*)) √(2π) s (1 + f⁗s⁴/8 + 5f'''²s⁶/24) (e.g.
 * Bender & Orszag 1978, §6.4); the relative error is O(n⁻²), below 1e-6 for n ≥ 24.
 */
function logIntegralLaplace(n: number, a: number): number {
  const m = n - 1
  const peak = (a + Math.sqrt(a * a + 4 * m)) / 2
  const curvature = m / (peak * peak) + 1
  const s2 = 1 / curvature
  const third = (2 * m) / peak ** 3
  const fourth = (-6 * m) / peak ** 4
  const correction = 1 + (fourth * s2 * s2) / 8 + (5 * third * third * s2 ** 3) / 24
  const top = m * Math.log(peak) - (peak * peak) / 2 + a * peak
  return top + 0.5 * Math.log(2 * Math.PI * s2) + Math.log(correction)
}

/** ln Iₙ(0) = ln(2^(n/2 − 1) Γ(n/2)), the normal integral in closed form. */
function logIntegralAtZero(n: number): number {
  return (n / 2 - 1) * Math.LN2 + logGamma(n / 2)
}

const NODES = 32
const HALF_WIDTHS = 8

/**
 * ln Iₙ(a) = ln ∫₀^∞ u^(n−1) e^(−u²/2 + au) du. For n = 1 in closed form, √(2π) e^(a²/2) Φ(a);
 * otherwise by the trapezoid rule (32 nodes) on ±8 curvature widths around the integrand's peak
 * u* = (a + √(a² + 4(n − 1)))/2, accurate to far better than the e-value needs.
 */
export function logIntegral(n: number, a: number): number {
  if (n >= LAPLACE_FROM) return logIntegralLaplace(n, a)
  if (n === 1) return 0.5 * Math.log(2 * Math.PI) + (a * a) / 2 + logNormalCdf(a)
  const peak = (a + Math.sqrt(a * a + 4 * (n - 1))) / 2
  const width = 1 / Math.sqrt((n - 1) / (peak * peak) + 1)
  const from = Math.max(0, peak - HALF_WIDTHS * width)
  const to = peak + HALF_WIDTHS * width
  const step = (to - from) / NODES
  const logAt = (u: number): number =>
    u <= 0 ? -Infinity : (n - 1) * Math.log(u) - (u * u) / 2 + a * u
  const top = logAt(peak)
  let sum = 0
  for (let i = 0; i <= NODES; i++) {
    const weight = i === 0 || i === NODES ? 0.5 : 1
    sum += weight * Math.exp(logAt(from + i * step) - top)
  }
  return top + Math.log(sum * step)
}
