import type { Sample } from '../math/sorted.ts'
import { highestAcceptedCount, lowestAcceptedCount } from './beta-binomial.ts'

/**
 * Prior weight, in observations, of the beta-binomial mixture behind the quantile bounds. The
 * boundary is tightest near n ≈ 13r at α = 0.005 (Howard & Ramdas 2022, §3.2 choose the
 * mixture the same way), so 400 tunes it for latency samples of a few thousand, the size a
 * canary reaches in its first tens of minutes.
 */
export const QUANTILE_PRIOR_WEIGHT = 400

/** One-sided bounds on a quantile, valid at every sample size simultaneously. */
export interface QuantileBounds {
  /** null: not bounded yet (−∞). */
  readonly lower: number | null
  /** null: not bounded yet (+∞). */
  readonly upper: number | null
}

/**
 * Confidence-sequence bounds on the p-quantile of the distribution a sample grows from, after
 * Howard & Ramdas 2022 (Bernoulli 28(3), Theorem 1 with the beta-binomial boundary):
 * #{Xᵢ ≤ q_p} is a Binomial(n, p) count (stochastically larger for discrete data), so with
 * [S_lo, S_hi] the counts the beta-binomial mixture at level α accepts for n trials,
 * q_p ≥ X₍S_lo₎ and q_p ≤ X₍S_hi + 1₎ hold for all n simultaneously, each with probability
 * ≥ 1 − α. Nonparametric: no assumption on the latency distribution, ties allowed.
 *
 * Assumes the sample grows as a sequence (the sample at a later time extends the earlier one,
 * as a fixed-fraction hash sample does). A sample re-drawn at every look is covered at each
 * look but the union over looks is not.
 *
 * @param ascending the sample in ascending order
 * @param lowerAlpha level of the lower bound, `upperAlpha` of the upper bound
 * @param trials the sample size to compute the boundary for; defaults to the sample's length
 *   (a larger value projects the bounds of a larger sample with the same shape)
 */
export function quantileBounds(
  ascending: Sample,
  p: number,
  lowerAlpha: number,
  upperAlpha: number,
  trials = ascending.length,
): QuantileBounds {
  const n = ascending.length
  if (n === 0) return { lower: null, upper: null }
  const scale = n / trials
  const low = lowestAcceptedCount(trials, p, QUANTILE_PRIOR_WEIGHT, lowerAlpha)
  const high = highestAcceptedCount(trials, p, QUANTILE_PRIOR_WEIGHT, upperAlpha)
  const lowerRank = Math.ceil(low * scale)
  const upperRank = Math.floor((high + 1) * scale)
  return {
    lower: lowerRank >= 1 ? (ascending[Math.min(lowerRank, n) - 1] as number) : null,
    upper: upperRank <= n && upperRank >= 1 ? (ascending[upperRank - 1] as number) : null,
  }
}

/** The p-quantile by linear interpolation between order statistics (numpy's default). */
export function empiricalQuantile(ascending: Sample, p: number): number | null {
  const n = ascending.length
  if (n === 0) return null
  const h = (n - 1) * p
  const below = Math.floor(h)
  const low = ascending[below] as number
  const high = ascending[Math.min(below + 1, n - 1)] as number
  return low + (h - below) * (high - low)
}
