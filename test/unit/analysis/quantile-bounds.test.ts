import { describe, expect, it } from 'vitest'
import {
  empiricalQuantile,
  quantileBounds,
} from '../../../src/analysis/sequential/quantile-bounds.ts'
import { createRandom } from './seeded-random.ts'

describe('empiricalQuantile', () => {
  it.each([
    [0.5, 2.5],
    [0, 1],
    [1, 4],
    [0.25, 1.75],
  ])('interpolates linearly between order statistics like numpy (p %s)', (p, expected) => {
    expect(empiricalQuantile([1, 2, 3, 4], p)).toBeCloseTo(expected, 12)
  })

  it('is null for an empty sample', () => {
    expect(empiricalQuantile([], 0.5)).toBeNull()
  })
})

describe('quantileBounds', () => {
  const sorted = Float64Array.from({ length: 5000 }, (_, i) => i + 1)

  it('brackets the sample quantile', () => {
    const { lower, upper } = quantileBounds(sorted, 0.95, 0.005, 0.005)
    expect(lower).toBeLessThan(0.95 * 5000)
    expect(upper).toBeGreaterThan(0.95 * 5000)
  })

  it('leaves a side unbounded while the sample is too small to bound it', () => {
    expect(quantileBounds([1, 2, 3], 0.99, 0.005, 0.005).upper).toBeNull()
    expect(quantileBounds([], 0.5, 0.05, 0.05)).toEqual({ lower: null, upper: null })
  })

  it('covers the true quantile at every look simultaneously, in at least 1 − α of sequences', () => {
    // 300 sequences of 3000 uniform draws, checked every 100 draws; the true p90 is 0.9.
    const random = createRandom(42)
    const alpha = 0.05
    let missed = 0
    for (let run = 0; run < 300; run++) {
      const values: number[] = []
      let failed = false
      for (let n = 1; n <= 3000 && !failed; n++) {
        values.push(random())
        if (n % 100 !== 0) continue
        const { lower, upper } = quantileBounds(
          Float64Array.from(values).sort(),
          0.9,
          alpha / 2,
          alpha / 2,
        )
        failed = (lower !== null && lower > 0.9) || (upper !== null && upper < 0.9)
      }
      if (failed) missed++
    }
    expect(missed / 300).toBeLessThanOrEqual(alpha)
  })
})
