const SQRT_PI = Math.sqrt(Math.PI)
const SQRT_TWO = Math.SQRT2
const LOG_SQRT_PI = Math.log(SQRT_PI)

/** Where erfc switches from 1 − erf (power series) to its continued fraction. */
const SERIES_BELOW = 1.25
const MAX_TERMS = 5000
const EPSILON = 1e-16

/**
 * erf(x) for 0 ≤ x < 1.25 from the series of positive terms
 * erf(x) = 2x e^(−x²)/√π · Σₙ (2x²)ⁿ / (1·3·…·(2n + 1)) (Abramowitz & Stegun 7.1.6).
 */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x
  let term = 1
  let sum = 1
  for (let n = 1; n < MAX_TERMS; n++) {
    term *= twoX2 / (2 * n + 1)
    sum += term
    if (term < sum * EPSILON) break
  }
  return ((2 * x) / SQRT_PI) * Math.exp(-x * x) * sum
}

/**
 * ln erfc(x) for x ≥ 1.25 from the continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))) (Abramowitz & Stegun 7.1.14),
 * evaluated with the modified Lentz method so that far tails keep full relative precision.
 */
function logErfcFraction(x: number): number {
  const tiny = 1e-300
  let f = x
  let c = f
  let d = 0
  for (let n = 1; n < MAX_TERMS; n++) {
    const a = n / 2
    d = x + a * d
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d
    c = x + a / c
    if (Math.abs(c) < tiny) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < EPSILON) break
  }
  return -x * x - LOG_SQRT_PI - Math.log(f)
}

/** The complementary error function erfc(x) = 1 − erf(x), with full relative precision in the right tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x < 0) return 2 - erfc(-x)
  if (x === Infinity) return 0
  if (x < SERIES_BELOW) return 1 - erfSeries(x)
  return Math.exp(logErfcFraction(x))
}

/** Upper tail of the standard normal distribution, P(Z > z) = erfc(z/√2)/2. */
export function normalSf(z: number): number {
  return erfc(z / SQRT_TWO) / 2
}

/** Lower tail of the standard normal distribution, Φ(z) = P(Z ≤ z). */
export function normalCdf(z: number): number {
  return normalSf(-z)
}

/** ln P(Z > z), finite even where P(Z > z) underflows (z up to about 1e150). */
export function logNormalSf(z: number): number {
  const x = z / SQRT_TWO
  if (x === Infinity) return -Infinity
  if (x >= SERIES_BELOW) return logErfcFraction(x) - Math.LN2
  // Below zero the tail is near 1: ln(1 − P(Z > −z)) keeps the tiny complement exact.
  if (z < 0) return Math.log1p(-normalSf(-z))
  return Math.log(normalSf(z))
}

/** ln Φ(z), finite even where Φ(z) underflows. */
export function logNormalCdf(z: number): number {
  return logNormalSf(-z)
}
