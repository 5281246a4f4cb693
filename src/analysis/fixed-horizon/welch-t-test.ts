import { studentTCdf, studentTSf } from '../math/student-t.ts'
import { isFiniteSample, meanAndVariance } from '../math/sorted.ts'
import type { TestOptions } from './alternative.ts'

export interface WelchResult {
  /** t = (x̄ − ȳ) / √(s²ₓ/nₓ + s²ᵧ/nᵧ). */
  readonly statistic: number
  /** Welch-Satterthwaite degrees of freedom. */
  readonly df: number
  readonly pValue: number
}

/**
 * Welch's unequal-variances t-test, a fixed-horizon test (one look at the data).
 *
 * t = (x̄ − ȳ) / √(s²ₓ/nₓ + s²ᵧ/nᵧ) with unbiased variances, and the Welch-Satterthwaite
 * degrees of freedom ν = (s²ₓ/nₓ + s²ᵧ/nᵧ)² / ((s²ₓ/nₓ)²/(nₓ − 1) + (s²ᵧ/nᵧ)²/(nᵧ − 1))
 * (Welch 1947, Biometrika 34:28–35). p-values from Student's t with ν degrees of freedom:
 * P(T ≥ t) for `greater`, P(T ≤ t) for `less`, 2·P(T ≥ |t|) for `two-sided`. This matches
 * `scipy.stats.ttest_ind(x, y, equal_var=False, alternative=...)`.
 * When both samples are constant the statistic is undefined and every field is NaN, as in scipy.
 *
 * @throws RangeError when a sample has fewer than two values or holds a non-finite value.
 */
export function welchTTest(
  x: readonly number[],
  y: readonly number[],
  options: TestOptions = {},
): WelchResult {
  checkSample('x', x)
  checkSample('y', y)
  const sx = meanAndVariance(x)
  const sy = meanAndVariance(y)
  const vx = sx.variance / x.length
  const vy = sy.variance / y.length
  const se2 = vx + vy
  if (se2 === 0) return { statistic: Number.NaN, df: Number.NaN, pValue: Number.NaN }
  const statistic = (sx.mean - sy.mean) / Math.sqrt(se2)
  const df = (se2 * se2) / ((vx * vx) / (x.length - 1) + (vy * vy) / (y.length - 1))
  const alternative = options.alternative ?? 'two-sided'
  const pValue =
    alternative === 'greater'
      ? studentTSf(statistic, df)
      : alternative === 'less'
        ? studentTCdf(statistic, df)
        : Math.min(1, 2 * studentTSf(Math.abs(statistic), df))
  return { statistic, df, pValue }
}

function checkSample(name: string, sample: readonly number[]): void {
  if (sample.length < 2) throw new RangeError(`welchTTest: ${name} needs at least two values`)
  if (!isFiniteSample(sample)) throw new RangeError(`welchTTest: ${name} holds a non-finite value`)
}
