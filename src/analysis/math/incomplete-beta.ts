import { logBeta } from './log-gamma.ts'

const MAX_ITERATIONS = 100_000
const EPSILON = 1e-16
const TINY = 1e-300

/**
 * The continued fraction of the regularized incomplete beta function,
 * I_x(a, b) = x^a (1 − x)^b / (a B(a, b)) · 1/(1 + d₁/(1 + d₂/(1 + …))), with
 * d₂ₘ₊₁ = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and d₂ₘ = m (b − m) x / ((a + 2m − 1)(a + 2m))
 * (Abramowitz & Stegun 26.5.8), evaluated with the modified Lentz method. It converges fast
 * for x < (a + 1)/(a + b + 2). `oneMinusX` is passed separately so that callers who know it
 * exactly (e.g. t²/(ν + t²)) lose no precision.
 */
function betaFraction(x: number, oneMinusX: number, a: number, b: number): number {
  const logFront = a * Math.log(x) + b * Math.log(oneMinusX) - Math.log(a) - logBeta(a, b)
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  d = Math.abs(d) < TINY ? 1 / TINY : 1 / d
  let f = d
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
    d = 1 + even * d
    d = Math.abs(d) < TINY ? 1 / TINY : 1 / d
    c = 1 + even / c
    if (Math.abs(c) < TINY) c = TINY
    f *= c * d
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
    d = 1 + odd * d
    d = Math.abs(d) < TINY ? 1 / TINY : 1 / d
    c = 1 + odd / c
    if (Math.abs(c) < TINY) c = TINY
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < EPSILON) break
  }
  return Math.exp(logFront) * f
}

/**
 * The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1, the CDF of a
 * Beta(a, b) variable. Uses the continued fraction directly or through the symmetry
 * I_x(a, b) = 1 − I_(1−x)(b, a), whichever converges (Numerical Recipes §6.4 describes the
 * same split). `oneMinusX` defaults to 1 − x.
 */
export function regularizedBeta(x: number, a: number, b: number, oneMinusX = 1 - x): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedBeta needs a, b > 0, got ${a}, ${b}`)
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedBeta needs 0 <= x <= 1, got ${x}`)
  if (x === 0) return 0
  if (oneMinusX === 0) return 1
  if (x < (a + 1) / (a + b + 2)) return betaFraction(x, oneMinusX, a, b)
  return 1 - betaFraction(oneMinusX, x, b, a)
}
