import { describe, expect, it } from 'vitest'
import { EFFECT_GRID } from '../../../src/analysis/sequential/effect-grid.ts'
import {
  logRateRatioEValue,
  rateRatioBound,
  toRateRatioData,
  type PairedBlock,
} from '../../../src/analysis/sequential/rate-ratio.ts'

function binomialPmf(n: number, p: number): number[] {
  const pmf: number[] = []
  let logC = 0
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log((n - k + 1) / k)
    pmf.push(Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p)))
  }
  return pmf
}

/** E[e-value] over every outcome of one block of Bernoulli requests, computed exactly. */
function expectedEValue(
  block: { baseline: number; canary: number },
  baselineRate: number,
  rho: number,
  rho0: number,
  side: 'upper' | 'lower',
): number {
  const pb = binomialPmf(block.baseline, baselineRate)
  const pc = binomialPmf(block.canary, baselineRate * rho)
  let expectation = 0
  pb.forEach((probB, errorsB) => {
    pc.forEach((probC, errorsC) => {
      const data = toRateRatioData([
        {
          baselineRequests: block.baseline,
          baselineErrors: errorsB,
          canaryRequests: block.canary,
          canaryErrors: errorsC,
        },
      ])
      expectation += probB * probC * Math.exp(logRateRatioEValue(data, rho0, side))
    })
  })
  return expectation
}

describe('logRateRatioEValue', () => {
  it.each([
    { baselineRate: 0.05, rho: 1, rho0: 1, side: 'upper' as const },
    { baselineRate: 0.3, rho: 1.25, rho0: 1.25, side: 'upper' as const },
    { baselineRate: 0.2, rho: 0.8, rho0: 1.25, side: 'upper' as const },
    { baselineRate: 0.1, rho: 1.25, rho0: 1.25, side: 'lower' as const },
    { baselineRate: 0.4, rho: 2, rho0: 1.5, side: 'lower' as const },
  ])(
    'has expectation at most 1 on the null side, exactly, for Bernoulli requests (p_b $baselineRate, ρ $rho, ρ₀ $rho0, $side)',
    ({ baselineRate, rho, rho0, side }) => {
      const expectation = expectedEValue(
        { baseline: 40, canary: 12 },
        baselineRate,
        rho,
        rho0,
        side,
      )
      expect(expectation).toBeLessThanOrEqual(1 + 1e-12)
    },
  )

  it('is 1 when there are no errors', () => {
    const data = toRateRatioData([
      { baselineRequests: 100, baselineErrors: 0, canaryRequests: 50, canaryErrors: 0 },
    ])
    expect(logRateRatioEValue(data, 1.2, 'upper')).toBeCloseTo(0, 12)
  })

  it('grows with every extra canary error', () => {
    const evidence = (canaryErrors: number) =>
      logRateRatioEValue(
        toRateRatioData([
          { baselineRequests: 1000, baselineErrors: 10, canaryRequests: 250, canaryErrors },
        ]),
        1.25,
        'upper',
      )
    for (let errors = 0; errors < 20; errors++)
      expect(evidence(errors + 1)).toBeGreaterThan(evidence(errors))
  })

  it('depends on blocks only through their errors per canary share', () => {
    const blocks: PairedBlock[] = [
      { baselineRequests: 800, baselineErrors: 9, canaryRequests: 200, canaryErrors: 5 },
      { baselineRequests: 400, baselineErrors: 3, canaryRequests: 100, canaryErrors: 4 },
    ]
    const merged = [
      { baselineRequests: 1200, baselineErrors: 12, canaryRequests: 300, canaryErrors: 9 },
    ]
    expect(logRateRatioEValue(toRateRatioData(blocks), 1.1, 'upper')).toBeCloseTo(
      logRateRatioEValue(toRateRatioData(merged), 1.1, 'upper'),
      12,
    )
  })

  it('bets on alternatives from 1% to 400% on the log scale', () => {
    expect(EFFECT_GRID[0]).toBeCloseTo(0.01, 12)
    expect(EFFECT_GRID.at(-1)).toBeLessThanOrEqual(4)
  })
})

describe('rateRatioBound', () => {
  const data = toRateRatioData([
    { baselineRequests: 40_000, baselineErrors: 400, canaryRequests: 10_000, canaryErrors: 200 },
  ])

  it('brackets the observed ratio with a lower and an upper confidence bound', () => {
    const lower = rateRatioBound(data, 'upper', 0.01)
    const upper = rateRatioBound(data, 'lower', 0.01)
    expect(lower).toBeLessThan(2)
    expect(upper).toBeGreaterThan(2)
    expect(lower).toBeGreaterThan(1)
  })

  it('agrees with the test: the lower bound exceeds ρ₀ exactly when the e-value reaches 1/α', () => {
    const lower = rateRatioBound(data, 'upper', 0.01)!
    expect(logRateRatioEValue(data, lower * 0.999, 'upper')).toBeGreaterThanOrEqual(-Math.log(0.01))
    expect(logRateRatioEValue(data, lower * 1.001, 'upper')).toBeLessThan(-Math.log(0.01))
  })

  it('is null while the data cannot bound the ratio', () => {
    const empty = toRateRatioData([])
    expect(rateRatioBound(empty, 'upper', 0.01)).toBeNull()
    expect(rateRatioBound(empty, 'lower', 0.01)).toBeNull()
  })
})
