import { logBeta } from '../math/log-gamma.ts'

/**
 * ln of the beta-binomial mixture martingale for S successes in t Bernoulli(p) trials,
 *
 *   M_t = B(pr + S, (1 − p)r + t − S) / (B(pr, (1 − p)r) · p^S (1 − p)^(t − S)),
 *
 * the likelihood ratio of Bernoulli(θ) against Bernoulli(p) mixed over θ ~ Beta(pr, (1 − p)r),
 * a prior centred on p with the weight of r observations. Under Bernoulli(p) it is a
 * nonnegative martingale with M₀ = 1, so P(∃t: M_t ≥ 1/α) ≤ α (Ville's inequality). It is the
 * conjugate mixture used for quantile confidence sequences by Howard & Ramdas 2022,
 * "Sequential estimation of quantiles with applications to A/B-testing and best-arm
 * identification", Bernoulli 28(3), §2.
 */
export function logBetaBinomialMixture(
  successes: number,
  trials: number,
  p: number,
  r: number,
): number {
  const a = p * r
  const b = (1 - p) * r
  return (
    logBeta(a + successes, b + trials - successes) -
    logBeta(a, b) -
    successes * Math.log(p) -
    (trials - successes) * Math.log1p(-p)
  )
}

/**
 * The smallest success count S ≤ tp that the mixture at level α accepts (M_t(S) < 1/α); counts
 * below it are rejected. ln M_t is convex in S (ln B is convex along S ↦ (a + S, b + t − S), the
 * rest is linear), so accepted counts form an interval around tp and one boundary search on
 * each side finds it. The search starts from the normal approximation of the boundary,
 * |S − tp| ≈ √(2p(1 − p)(t + r)(ln(1/α) + ½ ln((t + r)/r))), and gallops from there.
 */
export function lowestAcceptedCount(trials: number, p: number, r: number, alpha: number): number {
  trials = Math.floor(trials)
  const accepts = acceptance(trials, p, r, alpha)
  const centre = centreOf(trials, p)
  if (!accepts(centre)) return centre
  const guess = Math.max(
    0,
    Math.min(centre, Math.floor(trials * p - halfWidth(trials, p, r, alpha))),
  )
  return boundary(accepts, guess, 0, centre, -1)
}

/** The largest success count S ≥ tp that the mixture at level α accepts; see {@link lowestAcceptedCount}. */
export function highestAcceptedCount(trials: number, p: number, r: number, alpha: number): number {
  trials = Math.floor(trials)
  const accepts = acceptance(trials, p, r, alpha)
  const centre = centreOf(trials, p)
  if (!accepts(centre)) return centre - 1
  const guess = Math.min(
    trials,
    Math.max(centre, Math.ceil(trials * p + halfWidth(trials, p, r, alpha))),
  )
  return boundary(accepts, guess, centre, trials, 1)
}

function acceptance(trials: number, p: number, r: number, alpha: number): (s: number) => boolean {
  const threshold = -Math.log(alpha)
  return (s) => logBetaBinomialMixture(s, trials, p, r) < threshold
}

function centreOf(trials: number, p: number): number {
  return Math.min(trials, Math.max(0, Math.round(trials * p)))
}

function halfWidth(trials: number, p: number, r: number, alpha: number): number {
  const spread = 2 * p * (1 - p) * (trials + r)
  return Math.sqrt(spread * (-Math.log(alpha) + 0.5 * Math.log((trials + r) / r)))
}

/**
 * The accepted count furthest from the centre in `direction` (−1: down, +1: up), within
 * [low, high] where the end nearest the centre is accepted. Gallops from `guess` to bracket
 * the boundary, then bisects.
 */
function boundary(
  accepts: (s: number) => boolean,
  guess: number,
  low: number,
  high: number,
  direction: -1 | 1,
): number {
  // inside: an accepted count; outside: a rejected count beyond it (or one past the range).
  let inside: number
  let outside: number
  const limit = direction < 0 ? low - 1 : high + 1
  if (accepts(guess)) {
    inside = guess
    outside = limit
    for (let step = 1; ; step *= 2) {
      const next = guess + direction * step
      if (direction < 0 ? next <= limit : next >= limit) break
      if (!accepts(next)) {
        outside = next
        break
      }
      inside = next
    }
  } else {
    outside = guess
    inside = direction < 0 ? high : low
    for (let step = 1; ; step *= 2) {
      const next = guess - direction * step
      if (direction < 0 ? next >= high : next <= low) break
      if (accepts(next)) {
        inside = next
        break
      }
      outside = next
    }
  }
  while (Math.abs(outside - inside) > 1) {
    const middle = Math.floor((inside + outside) / 2)
    if (accepts(middle)) inside = middle
    else outside = middle
  }
  return inside
}
