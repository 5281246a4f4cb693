import { describe, expect, it } from 'vitest'
import {
  judge,
  parsePolicy,
  type CohortResult,
  type JudgeInput,
  type Verdict,
} from '../../../src/analysis/index.ts'
import { afterMinutes, buildCohort, type CohortSpec } from './cohort-builder.ts'

const POLICY = parsePolicy({ slo: { availability: 0.99 } })

const HEALTHY: CohortSpec = {
  minutes: 60,
  requestsPerMinute: 4000,
  errorRate: 0.01,
  samplesPerMinute: 400,
}
const CANARY: CohortSpec = { ...HEALTHY, requestsPerMinute: 1000, samplesPerMinute: 250 }

function ok(spec: CohortSpec): CohortResult {
  return { ok: true, data: buildCohort(spec) }
}

function verdictFor(overrides: Partial<JudgeInput> & { minutes?: number } = {}): Verdict {
  const minutes = overrides.minutes ?? HEALTHY.minutes
  return judge({
    policy: POLICY,
    baseline: ok({ ...HEALTHY, minutes }),
    canary: ok({ ...CANARY, minutes }),
    startMs: 0,
    evaluatedAtMs: afterMinutes(minutes),
    ...overrides,
  })
}

describe('judge', () => {
  it('promotes a canary identical to its baseline once every metric shows non-inferiority', () => {
    const verdict = verdictFor()
    expect(verdict.decision).toBe('promote')
    expect(verdict.metrics.every((metric) => metric.decision === 'non-inferior')).toBe(true)
    expect(verdict.reasons[0]).toContain('every metric is within its tolerance')
  })

  it('rolls back a canary whose error rate doubled, naming the metric and its numbers', () => {
    const verdict = verdictFor({
      canary: ok({ ...CANARY, minutes: 10, errorRate: 0.02 }),
      minutes: 10,
    })
    expect(verdict.decision).toBe('rollback')
    const errorRate = verdict.metrics.find((metric) => metric.name === 'error-rate')!
    expect(errorRate.decision).toBe('worse')
    expect(errorRate.interval[0]).toBeGreaterThan(errorRate.threshold)
    expect(errorRate.eValue).toBeGreaterThanOrEqual(1 / errorRate.alpha.rollback)
    expect(verdict.reasons[0]).toMatch(
      /^error-rate: canary 2% \(200 of 10000 requests\) vs baseline 1%/,
    )
  })

  it('rolls back a canary whose p95 latency is 30% higher', () => {
    const verdict = verdictFor({
      canary: ok({ ...CANARY, minutes: 30, latencyScale: 1.3 }),
      minutes: 30,
    })
    expect(verdict.decision).toBe('rollback')
    expect(verdict.metrics.find((metric) => metric.name === 'latency-p95')!.decision).toBe('worse')
  })

  it('never promotes while a cohort query fails, and says which', () => {
    const failed: CohortResult = { ok: false, error: 'store unreachable' }
    for (const cohort of ['baseline', 'canary'] as const) {
      const verdict = verdictFor({ [cohort]: failed })
      expect(verdict.decision).toBe('continue')
      expect(verdict.missing).toContainEqual({ kind: 'data', cohort, error: 'store unreachable' })
      expect(verdict.reasons.join(' ')).toContain(`the ${cohort} query failed (store unreachable)`)
    }
  })

  it('never promotes without data, and reaches inconclusive at maxDuration', () => {
    const empty = ok({ ...CANARY, minutes: 0 })
    const early = verdictFor({ canary: empty, evaluatedAtMs: afterMinutes(30) })
    const late = verdictFor({ canary: empty, evaluatedAtMs: 2 * 3600_000 })
    expect(early.decision).toBe('continue')
    expect(early.metrics.every((metric) => metric.decision === 'no-data')).toBe(true)
    expect(late.decision).toBe('inconclusive')
  })

  it('waits for minDuration, saying how long is left', () => {
    const verdict = verdictFor({ minutes: 5 })
    expect(verdict.decision).toBe('continue')
    expect(verdict.missing).toContainEqual({ kind: 'duration', haveSeconds: 330, needSeconds: 600 })
    expect(verdict.estimatedSecondsToDecision).toBeGreaterThanOrEqual(600 - 330)
  })

  it('lists the samples each metric still needs', () => {
    const verdict = verdictFor({ minutes: 1 })
    expect(verdict.missing).toContainEqual({
      kind: 'samples',
      metric: 'latency-p95',
      cohort: 'canary',
      have: 250,
      need: 500,
    })
    expect(verdict.missing).not.toContainEqual(
      expect.objectContaining({ kind: 'samples', metric: 'error-rate' }),
    )
  })

  it('estimates the time to a decision, at most until maxDuration', () => {
    const verdict = verdictFor({ minutes: 15 })
    expect(verdict.decision).toBe('continue')
    expect(verdict.estimatedSecondsToDecision).toBeGreaterThan(0)
    expect(verdict.estimatedSecondsToDecision).toBeLessThanOrEqual(7200 - 930)
    expect(verdict.reasons.at(-1)).toMatch(/^a decision is expected in about /)
  })

  it('is inconclusive at maxDuration when a metric sits right on its tolerance', () => {
    const policy = parsePolicy({
      slo: { availability: 0.99 },
      metrics: [
        { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0, absolute: 0 } },
      ],
    })
    const verdict = verdictFor({ policy, evaluatedAtMs: 7200_000 })
    expect(verdict.decision).toBe('inconclusive')
    expect(verdict.reasons[0]).toContain('reached its maximum duration of 2h')
  })

  it('rolls back on the budget guard when the canary burns fast and the baseline does not', () => {
    const verdict = verdictFor({
      policy: parsePolicy({ slo: { availability: 0.999 } }),
      baseline: ok({ ...HEALTHY, minutes: 20, errorRate: 0.0005 }),
      canary: ok({ minutes: 20, requestsPerMinute: 40, errorRate: 0.05, samplesPerMinute: 10 }),
      minutes: 20,
    })
    expect(verdict.decision).toBe('rollback')
    expect(verdict.budget.guard.tripped).toBe(true)
    expect(verdict.budget.windows.some((window) => window.baselineBurning)).toBe(false)
    expect(verdict.budget.burnRate).toBeCloseTo(50, 6)
    expect(verdict.budget.budgetRemaining).toBeCloseTo(-49, 6)
    expect(verdict.reasons.join(' ')).toContain(
      'budget guard: the canary burns its error budget at 50×',
    )
  })

  it('blocks promotion without rolling back when the baseline burns as fast as the canary', () => {
    const burning = { ...HEALTHY, minutes: 20, errorRate: 0.05 }
    const verdict = verdictFor({
      policy: parsePolicy({ slo: { availability: 0.999 } }),
      baseline: ok(burning),
      canary: ok({ ...burning, requestsPerMinute: 1000, samplesPerMinute: 250 }),
      minutes: 20,
    })
    expect(verdict.decision).toBe('continue')
    expect(verdict.budget.guard.tripped).toBe(false)
    expect(verdict.budget.windows.every((window) => window.baselineBurning)).toBe(true)
    expect(verdict.reasons.join(' ')).toContain(
      'the whole service is burning, not the canary alone',
    )
  })

  it('does not trip the guard on a burst in the first minute without evidence', () => {
    const verdict = verdictFor({
      policy: parsePolicy({ slo: { availability: 0.999 } }),
      canary: ok({ minutes: 1, requestsPerMinute: 50, errorRate: 0.04 }),
      minutes: 1,
    })
    expect(verdict.budget.windows[0]!.canary.longBurnRate).toBeGreaterThan(14.4)
    expect(verdict.budget.guard.tripped).toBe(false)
  })

  it('refuses to promote when the traffic split does not match the expected one', () => {
    const verdict = verdictFor({
      policy: parsePolicy({ slo: { availability: 0.99 }, expectedCanaryShare: 0.3 }),
    })
    expect(verdict.sampleRatio?.mismatch).toBe(true)
    expect(verdict.decision).toBe('continue')
    expect(verdict.reasons.join(' ')).toContain('sample ratio mismatch')
  })

  it('lets a non-critical metric block promotion without rolling back', () => {
    const policy = parsePolicy({
      slo: { availability: 0.99 },
      metrics: [
        { name: 'error-rate', kind: 'error-rate' },
        { name: 'latency-p50', kind: 'latency', quantile: 0.5, critical: false },
      ],
    })
    const verdict = verdictFor({ policy, canary: ok({ ...CANARY, latencyScale: 1.3 }) })
    expect(verdict.metrics[1]!.decision).toBe('worse')
    expect(verdict.decision).toBe('continue')
  })

  it('judges a numeric business metric where lower is worse', () => {
    const values = (mean: number) => Array.from({ length: 2000 }, (_, i) => mean + ((i % 20) - 9.5))
    const policy = parsePolicy({
      slo: { availability: 0.99 },
      metrics: [{ name: 'basket', kind: 'numeric', direction: 'lower', tolerance: '5%' }],
    })
    const verdict = verdictFor({
      policy,
      baseline: ok({ ...HEALTHY, values: { basket: values(50) } }),
      canary: ok({ ...CANARY, values: { basket: values(40) } }),
    })
    expect(verdict.decision).toBe('rollback')
    expect(verdict.metrics[0]!.effect).toBeCloseTo(-0.2, 10)
  })

  it('uses only complete minutes in the sequential error-rate test', () => {
    const canary = buildCohort({ ...CANARY, minutes: 20 })
    const withBurst = {
      ...canary,
      errors: canary.errors + 500,
      minutes: [...canary.minutes.slice(0, -1), { ...canary.minutes.at(-1)!, errors: 510 }],
    }
    const evaluatedAtMs = 19 * 60_000 + 30_000 // the last minute is still running
    const base = verdictFor({ canary: { ok: true, data: canary }, evaluatedAtMs, minutes: 20 })
    const burst = verdictFor({ canary: { ok: true, data: withBurst }, evaluatedAtMs, minutes: 20 })
    expect(burst.metrics[0]!.eValue).toBe(base.metrics[0]!.eValue)
  })

  it('writes only finite numbers or null, so the verdict survives JSON unchanged', () => {
    for (const verdict of [
      verdictFor(),
      verdictFor({ canary: ok({ ...CANARY, minutes: 0 }) }),
      verdictFor({ minutes: 0 }),
    ]) {
      expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict)
    }
  })

  it('rejects evaluation times that are not numbers', () => {
    expect(() => verdictFor({ evaluatedAtMs: Number.NaN })).toThrow(/finite epoch milliseconds/)
  })
})
