import { describe, expect, it } from 'vitest'
import { maxDispersionForExact } from '../../../src/analysis/judge/error-rate-metric.ts'
import {
  logIntegral,
  logSequentialTEValue,
  logSequentialTFromSums,
} from '../../../src/analysis/sequential/sequential-t.ts'
import { readReference, relativeError } from './reference-vectors.ts'

const reference = readReference<{
  cases: {
    name: string
    units: number[]
    expected: { upper: number; lower: number }
  }[]
  logIntegral: { n: number; a: number; expected: number }[]
  chi2Quantile95OverDf: { k: number; expected: number }[]
}>('sequential-t.json')

describe('logSequentialTEValue', () => {
  it.each(reference.cases)(
    'matches the Bayes factor integrated over σ by scipy for $name',
    ({ units, expected }) => {
      expect(Math.abs(logSequentialTEValue(units, 'upper') - expected.upper)).toBeLessThan(1e-6)
      expect(Math.abs(logSequentialTEValue(units, 'lower') - expected.lower)).toBeLessThan(1e-6)
    },
  )

  it('depends on the units only through their t statistic, not their scale', () => {
    const units = reference.cases.find((c) => c.units.length === 60)?.units ?? []
    const scaled = units.map((x) => x * 1e-4)
    expect(logSequentialTEValue(scaled, 'upper')).toBeCloseTo(
      logSequentialTEValue(units, 'upper'),
      9,
    )
  })

  it('gives no evidence without units or without spread', () => {
    expect(logSequentialTEValue([], 'upper')).toBe(0)
    expect(logSequentialTEValue([0, 0, 0], 'upper')).toBe(0)
  })

  it('grows with the sum of the units at a fixed sum of squares', () => {
    const atSum = (sum: number): number => logSequentialTFromSums(30, sum, 30)
    expect(atSum(-3)).toBeLessThan(atSum(0))
    expect(atSum(0)).toBeLessThan(atSum(3))
    expect(atSum(3)).toBeLessThan(atSum(10))
  })
})

describe('logIntegral', () => {
  it.each(reference.logIntegral)(
    'matches scipy quad for I_$n($a) (trapezoid below 40 units, Laplace expansion from 40)',
    ({ n, a, expected }) => {
      expect(Math.abs(logIntegral(n, a) - expected)).toBeLessThan(1e-6)
    },
  )
})

describe('maxDispersionForExact', () => {
  it.each(reference.chi2Quantile95OverDf)(
    'is the χ² 95% quantile over k = $k degrees of freedom to 0.5% (Wilson-Hilferty)',
    ({ k, expected }) => {
      expect(relativeError(maxDispersionForExact(k), expected)).toBeLessThan(5e-3)
    },
  )
})
