import { regularizedBeta } from './incomplete-beta.ts'

/**
 * Upper tail of Student's t distribution with `df` degrees of freedom (df > 0, not
 * necessarily an integer), P(T > t) = ½ I_(ν/(ν + t²))(ν/2, ½) for t ≥ 0 (Abramowitz & Stegun
 * 26.7.1 with 26.5.27), and 1 − P(T > −t) below zero. Both tails keep full relative precision.
 */
export function studentTSf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTSf needs df > 0, got ${df}`)
  if (Number.isNaN(t)) return Number.NaN
  if (t === Number.POSITIVE_INFINITY) return 0
  if (t === Number.NEGATIVE_INFINITY) return 1
  const t2 = t * t
  const tail = regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2)) / 2
  return t >= 0 ? tail : 1 - tail
}

/** Lower tail of Student's t distribution, P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df)
}
