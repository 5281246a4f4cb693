import { logNormalCdf } from '../math/normal.ts'

/**
 * An asymptotically normal estimate θ̂ with its (estimated) variance V, the input of the
 * normal-mixture sequential test.
 */
export interface NormalEstimate {
  readonly estimate: number
  readonly variance: number
}

const BISECTION_STEPS = 80

/**
 * ln of the one-sided normal-mixture likelihood ratio (mixture SPRT) for H₀: θ ≤ θ₀ against
 * θ > θ₀, with a half-normal mixing distribution of scale τ on θ − θ₀:
 *
 *   Λ⁺ = 2 √(V/(V + τ²)) · exp(x²τ² / (2V(V + τ²))) · Φ(xτ / √(V(V + τ²))),  x = θ̂ − θ₀.
 *
 * For a Gaussian estimate with known variance, Λ⁺ is a nonnegative supermartingale under every
 * θ ≤ θ₀, so by Ville's inequality P(Λ⁺ ever ≥ 1/α) ≤ α: the test may be evaluated after every
 * observation, at any polling schedule. With a plug-in variance the guarantee is asymptotic
 * (Johari, Koomen, Pekelis & Walsh 2022, "Always valid inference: continuous monitoring of A/B
 * tests", Operations Research 70(3); Waudby-Smith, Arnold, Wu, Howard & Ramdas 2024,
 * "Time-uniform central limit theory and asymptotic confidence sequences", Ann. Statist.).
 * The closed form is the Gaussian integral of the likelihood ratio over θ > θ₀ (our derivation
 * of the one-sided variant of Johari et al.'s two-sided mixture).
 */
export function logNormalMixtureUpper(input: NormalEstimate, theta0: number, tau: number): number {
  return logMixture(
    (input.estimate - theta0) / Math.sqrt(input.variance),
    tau ** 2 / input.variance,
  )
}

/** The mirror image of {@link logNormalMixtureUpper}: H₀: θ ≥ θ₀ against θ < θ₀. */
export function logNormalMixtureLower(input: NormalEstimate, theta0: number, tau: number): number {
  return logMixture(
    (theta0 - input.estimate) / Math.sqrt(input.variance),
    tau ** 2 / input.variance,
  )
}

/**
 * The lower end of the one-sided (1 − α) normal-mixture confidence sequence: the smallest θ₀
 * that {@link logNormalMixtureUpper} does not reject at level α. θ ≥ bound at every time,
 * simultaneously, with probability ≥ 1 − α (asymptotically, with a plug-in variance).
 */
export function normalMixtureLowerBound(input: NormalEstimate, tau: number, alpha: number): number {
  return input.estimate - Math.sqrt(input.variance) * criticalZ(tau ** 2 / input.variance, alpha)
}

/** The upper end of the one-sided (1 − α) normal-mixture confidence sequence. */
export function normalMixtureUpperBound(input: NormalEstimate, tau: number, alpha: number): number {
  return input.estimate + Math.sqrt(input.variance) * criticalZ(tau ** 2 / input.variance, alpha)
}

/** ln Λ⁺ as a function of the standardized distance u = x/√V and the ratio r = τ²/V. */
function logMixture(u: number, r: number): number {
  if (!Number.isFinite(u)) return u > 0 ? Infinity : -Infinity
  return (
    Math.LN2 -
    0.5 * Math.log1p(r) +
    (u * u * r) / (2 * (1 + r)) +
    logNormalCdf(u * Math.sqrt(r / (1 + r)))
  )
}

/**
 * The u at which ln Λ⁺ reaches ln(1/α). ln Λ⁺ increases with u and is below zero at u = 0; at
 * the upper bracket the quadratic term alone reaches ln(1/α) + ½ ln(1 + r) while
 * ln 2 + ln Φ(·) ≥ 0, so bisection on the bracket converges.
 */
function criticalZ(r: number, alpha: number): number {
  const target = -Math.log(alpha)
  if (!(r > 0)) return Infinity
  let low = 0
  let high = Math.sqrt(((2 * (1 + r)) / r) * (target + 0.5 * Math.log1p(r)))
  for (let step = 0; step < BISECTION_STEPS && high - low > 1e-12 * high; step++) {
    const middle = (low + high) / 2
    if (logMixture(middle, r) >= target) high = middle
    else low = middle
  }
  return high
}
