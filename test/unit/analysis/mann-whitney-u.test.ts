import { describe, expect, it } from 'vitest'
import { mannWhitneyU } from '../../../src/analysis/index.ts'
import {
  ALTERNATIVES,
  readReference,
  relativeError,
  type TwoSampleCase,
} from './reference-vectors.ts'

const { cases } = readReference<{
  cases: TwoSampleCase<{ statistic: number; pValue: number }>[]
}>('mann-whitney-u.json')

describe('mannWhitneyU', () => {
  describe.each(cases)('on "$name"', ({ x, y, expected }) => {
    it.each(ALTERNATIVES)(
      'matches scipy (asymptotic, tie and continuity correction) for %s',
      (alternative) => {
        const result = mannWhitneyU(x, y, { alternative })
        expect(result.statistic).toBe(expected[alternative].statistic)
        expect(relativeError(result.pValue, expected[alternative].pValue)).toBeLessThan(1e-9)
      },
    )
  })

  it('covers ties, tiny and large samples, one-sided tests and heavy tails in its reference cases', () => {
    const names = cases.map((c) => c.name).join(' | ')
    for (const word of ['ties', 'tiny', 'large', 'heavy tails']) expect(names).toContain(word)
  })

  it('defaults to the two-sided alternative', () => {
    const [first] = cases
    expect(mannWhitneyU(first!.x, first!.y)).toEqual(
      mannWhitneyU(first!.x, first!.y, { alternative: 'two-sided' }),
    )
  })

  it('returns U of x, so that U of x and U of y add up to n1 n2', () => {
    const x = [3, 1, 4, 1, 5, 9, 2, 6]
    const y = [2, 7, 1, 8, 2, 8]
    const ux = mannWhitneyU(x, y).statistic
    const uy = mannWhitneyU(y, x).statistic
    expect(ux + uy).toBe(x.length * y.length)
  })

  it('gives a p-value of 1 when every value is tied', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5])).toEqual({ statistic: 3, pValue: 1 })
  })

  it('does not depend on the order of the values', () => {
    const [, second] = cases
    const shuffled = [...second!.x].reverse()
    expect(mannWhitneyU(shuffled, second!.y)).toEqual(mannWhitneyU(second!.x, second!.y))
  })

  it.each([
    ['an empty x', [], [1]],
    ['an empty y', [1], []],
    ['a NaN', [1, Number.NaN], [2]],
    ['an infinity', [1], [Number.POSITIVE_INFINITY]],
  ])('rejects %s', (_, x, y) => {
    expect(() => mannWhitneyU(x, y)).toThrow(RangeError)
  })
})
