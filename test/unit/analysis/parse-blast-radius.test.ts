import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, parsePolicy } from '../../../src/analysis/index.ts'

describe('parsePolicy: blastRadius', () => {
  it('judges the blast radius by default: error rate and p95 of up to 8 services, rollback-capable', () => {
    const policy = parsePolicy({})
    expect(policy.blastRadius).toEqual(DEFAULT_POLICY.blastRadius)
    expect(policy.blastRadius.enabled).toBe(true)
    expect(policy.blastRadius.maxServices).toBe(8)
    expect(policy.blastRadius.metrics.map((metric) => [metric.name, metric.critical])).toEqual([
      ['error-rate', true],
      ['latency-p95', true],
    ])
  })

  it('makes every blast-radius metric non-critical with rollback: false, unless a metric says otherwise', () => {
    expect(
      parsePolicy({ blastRadius: { rollback: false } }).blastRadius.metrics.every(
        (metric) => !metric.critical,
      ),
    ).toBe(true)
    const mixed = parsePolicy({
      blastRadius: {
        rollback: false,
        metrics: [
          { name: 'errors', kind: 'error-rate', critical: true },
          { name: 'p99', kind: 'latency', quantile: 0.99 },
        ],
      },
    })
    expect(mixed.blastRadius.metrics.map((metric) => metric.critical)).toEqual([true, false])
  })

  it.each([
    [
      { blastRadius: { maxServices: 0 } },
      /policy\.blastRadius\.maxServices must be an integer >= 1/,
    ],
    [{ blastRadius: { maxServices: 2.5 } }, /maxServices must be an integer/],
    [{ blastRadius: { metrics: [] } }, /blastRadius\.metrics must be a non-empty list/],
    [
      { blastRadius: { metrics: [{ name: 'v', kind: 'numeric', source: 'x' }] } },
      /blastRadius\.metrics\[0\]\.kind must be "error-rate" or "latency"/,
    ],
    [
      {
        blastRadius: {
          metrics: [
            { name: 'e', kind: 'error-rate' },
            { name: 'e', kind: 'latency' },
          ],
        },
      },
      /blastRadius\.metrics\[1\]\.name must be unique/,
    ],
    [{ blastRadius: { services: ['x'] } }, /blastRadius\.services must be one of the known keys/],
    [{ blastRadius: { enabled: 'yes' } }, /blastRadius\.enabled must be true or false/],
  ])('refuses %j, naming the field', (raw, message) => {
    expect(() => parsePolicy(raw)).toThrow(message)
  })

  it('parses its own output to an equal policy', () => {
    const policy = parsePolicy({ blastRadius: { enabled: false, maxServices: 3 } })
    expect(parsePolicy(JSON.parse(JSON.stringify(policy)) as unknown)).toEqual(policy)
  })
})
