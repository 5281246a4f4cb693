import { describe, expect, it } from 'vitest'
import {
  judge,
  parsePolicy,
  type CohortSnapshot,
  type MinuteCounts,
} from '../../../src/analysis/index.ts'
import { afterMinutes, buildCohort } from './cohort-builder.ts'

const ERROR_RATE_ONLY = { metrics: [{ name: 'error-rate', kind: 'error-rate' }] }

function snapshot(minutes: MinuteCounts[], withMinutes = true): CohortSnapshot {
  return {
    requests: minutes.reduce((sum, minute) => sum + minute.requests, 0),
    errors: minutes.reduce((sum, minute) => sum + minute.errors, 0),
    latencyMs: [],
    minutes: withMinutes ? minutes : [],
  }
}

/**
 * A normal ramp: the canary's share grows from 5% to 50% while the base error rate drifts from
 * 0.5% to 2%, with identical error rates in both cohorts every minute.
 */
function ramp(cohort: 'baseline' | 'canary', count = 60): MinuteCounts[] {
  return Array.from({ length: count }, (_, i) => {
    const share = 0.05 + (0.45 * i) / (count - 1)
    const rate = 0.005 + (0.015 * i) / (count - 1)
    const requests = Math.round(5000 * (cohort === 'canary' ? share : 1 - share))
    return { startMs: i * 60_000, requests, errors: Math.round(requests * rate) }
  })
}

describe('judge under a ramping split (Simpson\u2019s paradox)', () => {
  it('never rolls back on pooled totals when a cohort has no per-minute counts', () => {
    // Pooled, the canary looks 25% worse (1.46% against 1.17%), at no tolerance a rollback.
    const verdict = judge({
      policy: parsePolicy({
        metrics: [{ name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0 } }],
        slo: { availability: 0.95 },
      }),
      baseline: { ok: true, data: snapshot(ramp('baseline'), false) },
      canary: { ok: true, data: snapshot(ramp('canary'), false) },
      startMs: 0,
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.decision).not.toBe('rollback')
    expect(verdict.metrics[0]?.decision).toBe('pending')
    expect(verdict.metrics[0]?.sentence).toContain('pooled totals never decide')
  })

  it('finds the identical per-minute rates non-inferior when the minutes are there', () => {
    const verdict = judge({
      policy: parsePolicy({ ...ERROR_RATE_ONLY, slo: { availability: 0.95 } }),
      baseline: { ok: true, data: snapshot(ramp('baseline')) },
      canary: { ok: true, data: snapshot(ramp('canary')) },
      startMs: 0,
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.metrics[0]?.decision).toBe('non-inferior')
    expect(Math.abs(verdict.metrics[0]?.effect ?? 1)).toBeLessThan(0.05)
  })
})

describe('judge with an absolute floor under a relative tolerance', () => {
  it('promotes a canary when both cohorts have no errors at all', () => {
    const verdict = judge({
      policy: parsePolicy({ ...ERROR_RATE_ONLY, slo: { availability: 0.99 } }),
      baseline: {
        ok: true,
        data: buildCohort({ minutes: 120, requestsPerMinute: 4000, errorRate: 0 }),
      },
      canary: {
        ok: true,
        data: buildCohort({ minutes: 120, requestsPerMinute: 1000, errorRate: 0 }),
      },
      startMs: 0,
      evaluatedAtMs: afterMinutes(119),
    })
    expect(verdict.decision).toBe('promote')
    expect(verdict.metrics[0]?.floor).toBe(0.0005)
    expect(verdict.metrics[0]?.sentence).toContain(
      'or +0.05 percentage points, whichever is larger',
    )
  })

  it('reads the floor from the policy, and absolute: 0 turns it off', () => {
    const withFloor = parsePolicy({
      metrics: [{ name: 'e', kind: 'error-rate', tolerance: '10%' }],
    })
    expect(withFloor.metrics[0]?.tolerance).toEqual({ relative: 0.1, absolute: 0.0005 })
    const without = parsePolicy({
      metrics: [{ name: 'e', kind: 'error-rate', tolerance: { relative: 0.1, absolute: 0 } }],
    })
    expect(without.metrics[0]?.tolerance).toEqual({ relative: 0.1 })
  })
})

describe('judge without the baseline', () => {
  // 1% errors against a 99.9% SLO burn the budget at 10×, above the 6× limit.
  const canary = buildCohort({ minutes: 30, requestsPerMinute: 1000, errorRate: 0.01 })
  const policy = parsePolicy({})

  it.each([
    ['a failed baseline query', { ok: false as const, error: 'the store query failed: timeout' }],
    [
      'an empty baseline',
      { ok: true as const, data: buildCohort({ minutes: 0, requestsPerMinute: 0, errorRate: 0 }) },
    ],
  ])('never rolls back on the budget alone with %s', (_, baseline) => {
    for (let minutes = 5; minutes <= 30; minutes++) {
      const verdict = judge({
        policy,
        baseline,
        canary: { ok: true, data: canary },
        startMs: 0,
        evaluatedAtMs: afterMinutes(minutes),
      })
      expect(verdict.decision).not.toBe('rollback')
      expect(verdict.budget.windows.some((window) => window.baselineMissing)).toBe(true)
    }
  })

  it('still rolls back a burning canary next to a healthy baseline', () => {
    const verdict = judge({
      policy: parsePolicy({ metrics: [{ name: 'e', kind: 'error-rate', critical: false }] }),
      baseline: {
        ok: true,
        data: buildCohort({ minutes: 30, requestsPerMinute: 4000, errorRate: 0.0005 }),
      },
      canary: {
        ok: true,
        data: buildCohort({ minutes: 30, requestsPerMinute: 1000, errorRate: 0.02 }),
      },
      startMs: 0,
      evaluatedAtMs: afterMinutes(30),
    })
    expect(verdict.decision).toBe('rollback')
    expect(verdict.reasons[0]).toContain('budget guard')
  })
})

describe('judge on promotion while burning', () => {
  it('does not promote a canary burning at 10× whose short window dipped below the limit', () => {
    // 55 minutes at 1% (10× a 99.9% SLO, limit 6×), then 5 minutes at 0.3%, in both cohorts.
    const minutes = (requests: number): MinuteCounts[] =>
      Array.from({ length: 60 }, (_, i) => ({
        startMs: i * 60_000,
        requests,
        errors: Math.round(requests * (i < 55 ? 0.01 : 0.003)),
      }))
    const verdict = judge({
      policy: parsePolicy({ metrics: [{ name: 'e', kind: 'error-rate', tolerance: '100%' }] }),
      baseline: { ok: true, data: snapshot(minutes(40_000)) },
      canary: { ok: true, data: snapshot(minutes(10_000)) },
      startMs: 0,
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.metrics[0]?.decision).toBe('non-inferior')
    expect(verdict.decision).not.toBe('promote')
    expect(verdict.reasons.join(' ')).toContain(
      'no anytime-valid evidence yet that the canary burns',
    )
  })
})

describe('judge behind the ingest-lag watermark', () => {
  const base = {
    policy: parsePolicy({ ...ERROR_RATE_ONLY, slo: { availability: 0.99 } }),
    startMs: 0,
    evaluatedAtMs: afterMinutes(20),
  }
  const cohort = (requests: number, lastErrors: number): CohortSnapshot => {
    const minutes = buildCohort({
      minutes: 20,
      requestsPerMinute: requests,
      errorRate: 0.01,
    }).minutes.map((minute, i) => (i === 19 ? { ...minute, errors: lastErrors } : minute))
    return snapshot(minutes)
  }

  it('leaves out the minutes that ended less than the ingest lag ago', () => {
    const verdict = judge({
      ...base,
      ingestLagMs: 60_000,
      baseline: { ok: true, data: cohort(4000, 40) },
      canary: { ok: true, data: cohort(1000, 10) },
    })
    // Minute 19 ended at 20:00, 30 s before the evaluation: inside the 60 s allowance.
    expect(verdict.metrics[0]?.dispersion?.units).toBe(19)
  })

  it('gives the same evidence whatever late data changes in a minute behind the watermark', () => {
    const judged = (lastCanaryErrors: number) =>
      judge({
        ...base,
        ingestLagMs: 60_000,
        baseline: { ok: true, data: cohort(4000, 40) },
        canary: { ok: true, data: cohort(1000, lastCanaryErrors) },
      }).metrics[0]
    expect(judged(500)?.eValue).toBe(judged(10)?.eValue)
  })
})
