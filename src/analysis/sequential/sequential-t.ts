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

/**
 * From this many units on, the Laplace expansion replaces the quadrature. Both keep the error
 * in ln Iₙ below 4e-7 (checked against scipy in test/unit/analysis/sequential-t.test.ts), far
 * below what moves a decision, at a fraction of the quadrature's cost.
 */
const LAPLACE_FROM = 40

/**
 * ln Iₙ(a) by the Laplace expansion about the peak u* to two orders beyond the leading term:
 * with f the log integrand, s² = −1/f''(u*) and λₖ = f⁽ᵏ⁾(u*)sᵏ,
 *
 *   Iₙ ≈ e^(f(u*)) √(2π) s (1 + λ₄/8 + 5λ₃²/24
 *        + λ₆/48 + 35λ₄²/384 + 7λ₃λ₅/48 + 35λ₃²λ₄/64 + 385λ₃⁴/1152),
 *
 * the Gaussian moments of the integrand's Taylor expansion (e.g. Bender & Orszag 1978,
 * §6.4); the relative error is O(n⁻³). Here f⁽ᵏ⁾(u) = (−1)ᵏ(k − 1)!(n − 1)/uᵏ for k ≥ 3.
 */
function logIntegralLaplace(n: number, a: number): number {
  const m = n - 1
  const peak = (a + Math.sqrt(a * a + 4 * m)) / 2
  const s2 = 1 / (m / (peak * peak) + 1)
  const ratio = Math.sqrt(s2) / peak
  const l3 = 2 * m * ratio ** 3
  const l4 = -6 * m * ratio ** 4
  const l5 = 24 * m * ratio ** 5
  const l6 = -120 * m * ratio ** 6
  const correction =
    1 +
    l4 / 8 +
    (5 * l3 * l3) / 24 +
    l6 / 48 +
    (35 * l4 * l4) / 384 +
    (7 * l3 * l5) / 48 +
    (35 * l3 * l3 * l4) / 64 +
    (385 * l3 ** 4) / 1152
  const top = m * Math.log(peak) - (peak * peak) / 2 + a * peak
  return top + 0.5 * Math.log(2 * Math.PI * s2) + Math.log(correction)
}

/** ln Iₙ(0) = ln(2^(n/2 − 1) Γ(n/2)), the normal integral in closed form. */
function logIntegralAtZero(n: number): number {
  return (n / 2 - 1) * Math.LN2 + logGamma(n / 2)
}

/** Trapezoid nodes per curvature width, and widths covered right of the peak. */
const NODES_PER_WIDTH = 2
const HALF_WIDTHS = 7
/** The left tail is followed until the integrand has fallen by e^(−25). */
const LEFT_TAIL_NATS = 25

/**
 * ln Iₙ(a) = ln ∫₀^∞ u^(n−1) e^(−u²/2 + au) du, for real n ≥ 1 (n need not be an integer: the
 * time-to-decision estimate scales the units). For n = 1 in closed form, √(2π) e^(a²/2) Φ(a);
 * below {@link LAPLACE_FROM} by the trapezoid rule after u = eᵛ, which turns the integrand into
 * e^(nv − e²ᵛ/2 + aeᵛ): smooth and decaying on both sides of its peak v* = ln((a + √(a² + 4n))/2),
 * of curvature width w = 1/√(e²ᵛ* + n), so the trapezoid rule converges geometrically (and an
 * integrand that does not vanish smoothly at u = 0, for small n, costs no accuracy). The nodes
 * follow the slow left tail e^(n(v − v*)) and reach 7 widths to the right; the error in ln Iₙ
 * is below 3e-7 against scipy's QUADPACK.
 */
export function logIntegral(n: number, a: number): number {
  if (n >= LAPLACE_FROM) return logIntegralLaplace(n, a)
  if (n === 1) return 0.5 * Math.log(2 * Math.PI) + (a * a) / 2 + logNormalCdf(a)
  const peakU = (a + Math.sqrt(a * a + 4 * n)) / 2
  const peak = Math.log(peakU)
  const width = 1 / Math.sqrt(peakU * peakU + n)
  const from = peak - Math.max(HALF_WIDTHS * width, LEFT_TAIL_NATS / n)
  const to = peak + HALF_WIDTHS * width
  const nodes = Math.ceil(((to - from) / width) * NODES_PER_WIDTH)
  const step = (to - from) / nodes
  const logAt = (v: number): number => {
    const u = Math.exp(v)
    return n * v - (u * u) / 2 + a * u
  }
  const top = logAt(peak)
  let sum = 0
  for (let i = 0; i <= nodes; i++) {
    const weight = i === 0 || i === nodes ? 0.5 : 1
    sum += weight * Math.exp(logAt(from + i * step) - top)
  }
  return top + Math.log(sum * step)
}
