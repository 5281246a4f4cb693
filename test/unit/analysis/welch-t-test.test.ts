import { describe, expect, it } from 'vitest'
import { welchTTest } from '../../../src/analysis/index.ts'
import {
  ALTERNATIVES,
  readReference,
  relativeError,
  type TwoSampleCase,
} from './reference-vectors.ts'

const { cases } = readReference<{
  cases: TwoSampleCase<{ statistic: number; df: number; pValue: number }>[]
}>('welch-t-test.json')

describe('welchTTest', () => {
  describe.each(cases)('on "$name"', ({ x, y, expected }) => {
    it.each(ALTERNATIVES)('matches scipy ttest_ind(equal_var=False) for %s', (alternative) => {
      const result = welchTTest(x, y, { alternative })
      const want = expected[alternative]
      expect(relativeError(result.statistic, want.statistic)).toBeLessThan(1e-9)
      expect(relativeError(result.df, want.df)).toBeLessThan(1e-9)
      // Tiny p-values are compared relatively: the tails keep full relative precision.
      expect(relativeError(result.pValue, want.pValue)).toBeLessThan(1e-6)
    })
  })

  it('is antisymmetric: swapping the samples flips the statistic and swaps the one-sided p-values', () => {
    const [, , third] = cases
    const forward = welchTTest(third!.x, third!.y, { alternative: 'greater' })
    const backward = welchTTest(third!.y, third!.x, { alternative: 'less' })
    expect(backward.statistic).toBeCloseTo(-forward.statistic, 12)
    expect(backward.pValue).toBeCloseTo(forward.pValue, 12)
  })

  it('returns NaN, as scipy does, when both samples are constant', () => {
    const result = welchTTest([2, 2, 2], [3, 3])
    expect(Number.isNaN(result.statistic) && Number.isNaN(result.pValue)).toBe(true)
  })

  it.each([
    ['a single value', [1], [1, 2]],
    ['a NaN', [1, 2], [Number.NaN, 1]],
  ])('rejects a sample with %s', (_, x, y) => {
    expect(() => welchTTest(x, y)).toThrow(RangeError)
  })
})
