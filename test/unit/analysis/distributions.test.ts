import { describe, expect, it } from 'vitest'
import { regularizedBeta } from '../../../src/analysis/math/incomplete-beta.ts'
import { logGamma } from '../../../src/analysis/math/log-gamma.ts'
import { logNormalSf, normalSf } from '../../../src/analysis/math/normal.ts'
import { studentTSf } from '../../../src/analysis/math/student-t.ts'
import { readReference, relativeError } from './reference-vectors.ts'

const reference = readReference<{
  logGamma: { x: number; expected: number }[]
  normalSf: { z: number; expected: number }[]
  logNormalSf: { z: number; expected: number }[]
  studentTSf: { t: number; df: number; expected: number }[]
  regularizedBeta: { x: number; a: number; b: number; expected: number }[]
}>('distributions.json')

describe('logGamma', () => {
  it.each(reference.logGamma)('matches scipy gammaln at $x', ({ x, expected }) => {
    expect(Math.abs(logGamma(x) - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)))
  })
})

describe('normalSf', () => {
  it.each(reference.normalSf)(
    'matches scipy norm.sf at $z to 1e-12 relative',
    ({ z, expected }) => {
      expect(relativeError(normalSf(z), expected)).toBeLessThan(1e-12)
    },
  )
})

describe('logNormalSf', () => {
  it.each(reference.logNormalSf)(
    'matches scipy norm.logsf at $z, beyond underflow',
    ({ z, expected }) => {
      expect(relativeError(logNormalSf(z), expected)).toBeLessThan(1e-12)
    },
  )
})

describe('studentTSf', () => {
  it.each(reference.studentTSf)('matches scipy t.sf($t, $df)', ({ t, df, expected }) => {
    expect(relativeError(studentTSf(t, df), expected)).toBeLessThan(1e-9)
  })
})

describe('regularizedBeta', () => {
  it.each(reference.regularizedBeta)(
    'matches scipy betainc($a, $b, $x)',
    ({ x, a, b, expected }) => {
      expect(relativeError(regularizedBeta(x, a, b), expected)).toBeLessThan(1e-9)
    },
  )
})
