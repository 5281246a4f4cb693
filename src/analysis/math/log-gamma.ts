/** ln(2π) / 2, the constant of Stirling's series. */
const HALF_LOG_TWO_PI = 0.9189385332046728

/** Below this argument the recurrence Γ(x) = Γ(x + 1) / x moves x up before Stirling's series. */
const STIRLING_FROM = 10

/**
 * ln Γ(x) for x > 0.
 *
 * Stirling's asymptotic series, ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + Σ B₂ₖ / (2k(2k − 1) x^(2k−1)),
 * truncated after the x⁻¹³ term, which for x ≥ 10 leaves an error below 1e-16
 * (Abramowitz & Stegun 6.1.40). Smaller arguments are shifted up with Γ(x + 1) = x Γ(x).
 */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs a positive argument, got ${x}`)
  let shift = 0
  let z = x
  while (z < STIRLING_FROM) {
    shift += Math.log(z)
    z += 1
  }
  const inv = 1 / z
  const inv2 = inv * inv
  const series =
    inv *
    (1 / 12 +
      inv2 *
        (-1 / 360 +
          inv2 *
            (1 / 1260 +
              inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 / 156))))))
  return (z - 0.5) * Math.log(z) - z + HALF_LOG_TWO_PI + series - shift
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b)
}
