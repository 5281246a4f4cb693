import { describe, expect, it } from 'vitest'
import { isRhError } from '../../../src/errors.ts'
import { DEFAULT_POLICY, parsePolicy } from '../../../src/analysis/index.ts'

function policyError(raw: unknown): string {
  try {
    parsePolicy(raw)
  } catch (error) {
    if (isRhError(error, 'RH_POLICY_INVALID')) return error.message
    throw error
  }
  throw new Error('expected the policy to be rejected')
}

describe('parsePolicy', () => {
  it.each([{}, null, undefined])('returns the default policy for %s', (raw) => {
    expect(parsePolicy(raw)).toEqual(DEFAULT_POLICY)
  })

  it('defaults to error rate, latency p50/p95/p99, a 99.9% SLO with the SRE workbook windows and α = 1%', () => {
    expect(DEFAULT_POLICY.metrics.map((metric) => metric.name)).toEqual([
      'error-rate',
      'latency-p50',
      'latency-p95',
      'latency-p99',
    ])
    expect(DEFAULT_POLICY.slo.availability).toBe(0.999)
    expect(DEFAULT_POLICY.budget.windows).toEqual([
      { longSeconds: 3600, shortSeconds: 300, burnRate: 14.4 },
      { longSeconds: 21600, shortSeconds: 1800, burnRate: 6 },
    ])
    expect(DEFAULT_POLICY.alpha).toBe(0.01)
  })

  it('reads durations, percentages and tolerance shorthands as written in YAML', () => {
    const policy = parsePolicy({
      analysis: { minDuration: '5m', maxDuration: '1h30m' },
      metrics: [
        { name: 'p90', kind: 'latency', quantile: '90%', tolerance: '15%' },
        {
          name: 'checkout',
          kind: 'numeric',
          direction: 'lower',
          tolerance: { absolute: 2 },
          critical: false,
        },
      ],
      slo: { availability: '99.95%', latency: { target: '99%', thresholdMs: 300 } },
      budget: { windows: [{ long: '30m', short: '5m', burnRate: 10 }] },
      expectedSplit: { canary: 10, baseline: 90 },
    })
    expect(policy.analysis).toEqual({ minDurationSeconds: 300, maxDurationSeconds: 5400 })
    expect(policy.metrics[0]).toMatchObject({
      quantile: 0.9,
      tolerance: { relative: 0.15 },
      critical: true,
    })
    expect(policy.metrics[1]).toMatchObject({
      source: 'checkout',
      statistic: 'mean',
      minSamples: 200,
    })
    expect(policy.slo).toEqual({
      availability: 0.9995,
      latency: { target: 0.99, thresholdMs: 300 },
    })
    expect(policy.budget.windows).toEqual([{ longSeconds: 1800, shortSeconds: 300, burnRate: 10 }])
    expect(policy.expectedCanaryShare).toBeCloseTo(0.1, 15)
  })

  it('gives an equal policy when a parsed policy is parsed again', () => {
    const once = parsePolicy({
      metrics: [{ name: 'errors', kind: 'error-rate' }],
      expectedSplit: { canary: 1, baseline: 3 },
    })
    expect(parsePolicy(JSON.parse(JSON.stringify(once)))).toEqual(once)
  })

  it('returns a frozen policy', () => {
    const policy = parsePolicy({ alpha: 0.05 })
    expect(Object.isFrozen(policy) && Object.isFrozen(policy.metrics[0])).toBe(true)
  })

  it.each([
    [{ alpha: 0 }, 'policy.alpha must be a number > 0 and <= 0.5, got 0'],
    [{ alpha: '1%' }, 'policy.alpha must be a number'],
    [{ analysis: { minDuration: 'soon' } }, 'policy.analysis.minDuration must be a duration'],
    [
      { analysis: { minDuration: '2h', maxDuration: '1h' } },
      'policy.analysis.maxDuration must be at least minDuration',
    ],
    [{ metrics: [] }, 'policy.metrics must be a non-empty list'],
    [
      { metrics: [{ name: 'x', kind: 'latencies' }] },
      'policy.metrics[0].kind must be one of "error-rate", "latency", "numeric", got "latencies"',
    ],
    [{ metrics: [{ name: 'x', kind: 'latency', quantile: 1.5 }] }, 'policy.metrics[0].quantile'],
    [
      {
        metrics: [
          { name: 'x', kind: 'numeric', source: 'x', tolerance: { relative: 0.1, absolute: 0.1 } },
        ],
      },
      'policy.metrics[0].tolerance must be an object with exactly one',
    ],
    [
      { metrics: [{ name: 'x', kind: 'error-rate', tolerance: { relative: -1 } }] },
      'policy.metrics[0].tolerance.relative must be a number >= 0, got -1',
    ],
    [
      { metrics: [{ name: 'x', kind: 'latency', direction: 'lower', tolerance: '100%' }] },
      'policy.metrics[0].tolerance.relative must be a number >= 0 and < 1, got 1',
    ],
    [
      { metrics: [{ name: 'x', kind: 'numeric', tolerance: { absolute: 0 } }] },
      'policy.metrics[0].tolerance.absolute must be a number > 0',
    ],
    [
      {
        metrics: [
          { name: 'x', kind: 'error-rate' },
          { name: 'x', kind: 'latency' },
        ],
      },
      'policy.metrics[1].name must be unique',
    ],
    [
      { metrics: [{ name: 'x', kind: 'error-rate', quantile: 0.5 }] },
      'policy.metrics[0].quantile must be one of the known keys',
    ],
    [
      { metrics: [{ name: 'x', kind: 'error-rate', minSamples: 1.5 }] },
      'policy.metrics[0].minSamples must be an integer >= 0, got 1.5',
    ],
    [{ slo: { availability: 1 } }, 'policy.slo.availability must be a fraction'],
    [
      { slo: { latency: { target: 0.99 } } },
      'policy.slo.latency.thresholdMs must be a number > 0, got nothing',
    ],
    [
      { budget: { windows: [{ long: '5m', short: '1h', burnRate: 2 }] } },
      'policy.budget.windows[0].short must be at most long',
    ],
    [{ expectedSplit: { canary: 10 } }, 'policy.expectedSplit must be an object with both'],
    [{ tolerance: 0.1 }, 'policy.tolerance must be one of the known keys'],
  ])('rejects %j, naming the field and the value', (raw, message) => {
    expect(policyError(raw)).toContain(message)
  })
})
