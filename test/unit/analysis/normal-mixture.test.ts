import { describe, expect, it } from 'vitest'
import {
  logNormalMixtureLower,
  logNormalMixtureUpper,
  normalMixtureLowerBound,
  normalMixtureUpperBound,
} from '../../../src/analysis/sequential/normal-mixture.ts'

/** ∫₀^∞ LR(θ₀ + d) · 2 N(d; 0, τ²) dd by the trapezoid rule, the definition of the mixture. */
function integrateMixture(estimate: number, variance: number, theta0: number, tau: number): number {
  const steps = 200_000
  const top = 12 * tau
  let sum = 0
  for (let i = 0; i <= steps; i++) {
    const d = (i / steps) * top
    const logLr = (d * (estimate - theta0)) / variance - (d * d) / (2 * variance)
    const prior = (2 / Math.sqrt(2 * Math.PI * tau * tau)) * Math.exp(-(d * d) / (2 * tau * tau))
    sum += (i === 0 || i === steps ? 0.5 : 1) * Math.exp(logLr) * prior
  }
  return Math.log((sum * top) / steps)
}

describe('logNormalMixtureUpper', () => {
  it.each([
    { estimate: 0.3, variance: 0.04, theta0: 0, tau: 0.2 },
    { estimate: -0.1, variance: 0.01, theta0: 0.05, tau: 0.1 },
    { estimate: 2.5, variance: 0.5, theta0: 0.5, tau: 1 },
  ])(
    'equals the half-normal mixture of likelihood ratios it is derived from ($estimate, $variance)',
    (c) => {
      const closed = logNormalMixtureUpper(
        { estimate: c.estimate, variance: c.variance },
        c.theta0,
        c.tau,
      )
      expect(closed).toBeCloseTo(integrateMixture(c.estimate, c.variance, c.theta0, c.tau), 6)
    },
  )

  it('is below 1 when the estimate sits on the null value', () => {
    expect(logNormalMixtureUpper({ estimate: 1, variance: 0.1 }, 1, 0.3)).toBeLessThan(0)
  })

  it('mirrors logNormalMixtureLower', () => {
    const input = { estimate: 0.2, variance: 0.01 }
    expect(logNormalMixtureLower(input, 0.5, 0.1)).toBeCloseTo(
      logNormalMixtureUpper({ estimate: 0.8, variance: 0.01 }, 0.5, 0.1),
      12,
    )
  })
})

describe('normalMixtureLowerBound', () => {
  it.each([0.05, 0.01, 0.001])(
    'is the null value at which the e-value reaches 1/α (α = %s)',
    (alpha) => {
      const input = { estimate: 0.4, variance: 0.02 }
      const bound = normalMixtureLowerBound(input, 0.1, alpha)
      expect(logNormalMixtureUpper(input, bound, 0.1)).toBeCloseTo(-Math.log(alpha), 8)
    },
  )

  it('widens as α shrinks and sits below the estimate', () => {
    const input = { estimate: 0.4, variance: 0.02 }
    const loose = normalMixtureLowerBound(input, 0.1, 0.05)
    const tight = normalMixtureLowerBound(input, 0.1, 0.001)
    expect(tight).toBeLessThan(loose)
    expect(loose).toBeLessThan(0.4)
    expect(normalMixtureUpperBound(input, 0.1, 0.05)).toBeCloseTo(0.8 - loose, 12)
  })
})
