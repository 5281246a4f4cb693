import { describe, expect, it } from 'vitest'
import {
  highestAcceptedCount,
  logBetaBinomialMixture,
  lowestAcceptedCount,
} from '../../../src/analysis/sequential/beta-binomial.ts'
import { logSampleRatioEValue } from '../../../src/analysis/sequential/sample-ratio.ts'

describe('logBetaBinomialMixture', () => {
  it.each([
    [3, 10, 0.5, 4],
    [9, 10, 0.95, 50],
    [0, 25, 0.2, 10],
  ])(
    'equals the Beta-mixed likelihood ratio it is defined as (S %s, t %s, p %s, r %s)',
    (s, t, p, r) => {
      // ∫ θ^S (1 − θ)^(t−S) Beta(θ; pr, (1 − p)r) dθ / (p^S (1 − p)^(t−S)), midpoint rule.
      const a = p * r
      const b = (1 - p) * r
      const steps = 200_000
      let integral = 0
      let norm = 0
      for (let i = 0; i < steps; i++) {
        const theta = (i + 0.5) / steps
        const prior = theta ** (a - 1) * (1 - theta) ** (b - 1)
        norm += prior
        integral += prior * (theta / p) ** s * ((1 - theta) / (1 - p)) ** (t - s)
      }
      expect(logBetaBinomialMixture(s, t, p, r)).toBeCloseTo(Math.log(integral / norm), 3)
    },
  )

  it.each([
    [0, 0, 0.5],
    [7, 20, 0.3],
    [95, 100, 0.95],
  ])(
    'is a martingale: its expected next value is its current value (S %s, t %s, p %s)',
    (s, t, p) => {
      const now = Math.exp(logBetaBinomialMixture(s, t, p, 40))
      const next =
        p * Math.exp(logBetaBinomialMixture(s + 1, t + 1, p, 40)) +
        (1 - p) * Math.exp(logBetaBinomialMixture(s, t + 1, p, 40))
      expect(next).toBeCloseTo(now, 10)
    },
  )
})

describe('lowestAcceptedCount and highestAcceptedCount', () => {
  it.each([
    [100, 0.5, 0.01],
    [5000, 0.95, 0.001],
    [20_000, 0.99, 0.0017],
    [37, 0.9, 0.5],
  ])('find the exact edges of the accepted region (t %s, p %s, α %s)', (t, p, alpha) => {
    const threshold = -Math.log(alpha)
    const low = lowestAcceptedCount(t, p, 400, alpha)
    const high = highestAcceptedCount(t, p, 400, alpha)
    expect(low).toBeLessThanOrEqual(Math.round(t * p))
    expect(high).toBeGreaterThanOrEqual(Math.round(t * p))
    expect(logBetaBinomialMixture(low, t, p, 400)).toBeLessThan(threshold)
    expect(logBetaBinomialMixture(high, t, p, 400)).toBeLessThan(threshold)
    if (low > 0)
      expect(logBetaBinomialMixture(low - 1, t, p, 400)).toBeGreaterThanOrEqual(threshold)
    if (high < t)
      expect(logBetaBinomialMixture(high + 1, t, p, 400)).toBeGreaterThanOrEqual(threshold)
  })

  it('widens the accepted region as α shrinks', () => {
    expect(lowestAcceptedCount(1000, 0.5, 400, 0.001)).toBeLessThan(
      lowestAcceptedCount(1000, 0.5, 400, 0.1),
    )
    expect(highestAcceptedCount(1000, 0.5, 400, 0.001)).toBeGreaterThan(
      highestAcceptedCount(1000, 0.5, 400, 0.1),
    )
  })
})

describe('logSampleRatioEValue', () => {
  it('stays small when the canary gets its expected share', () => {
    expect(logSampleRatioEValue(20_000, 80_000, 0.2)).toBeLessThan(0)
  })

  it('grows large when the canary gets visibly less than its share', () => {
    expect(logSampleRatioEValue(18_000, 82_000, 0.2)).toBeGreaterThan(Math.log(1e6))
  })
})
