import { describe, expect, it } from 'vitest'
import {
  judge,
  parsePolicy,
  type CohortResult,
  type CohortSnapshot,
  type JudgeInput,
  type MinuteCounts,
  type RelatedResult,
  type RelatedService,
  type Verdict,
} from '../../../src/analysis/index.ts'
import { afterMinutes, buildCohort, latencyGrid, type CohortSpec } from './cohort-builder.ts'

const POLICY = parsePolicy({ slo: { availability: 0.99 } })
const OWN: CohortSpec = {
  minutes: 60,
  requestsPerMinute: 2000,
  errorRate: 0.01,
  samplesPerMinute: 300,
}

function ok(spec: CohortSpec): CohortResult {
  return { ok: true, data: buildCohort(spec) }
}

interface RelatedSpec {
  readonly minutes: number
  readonly requestsPerMinute: number
  readonly errorRate: number
  /** Latency samples per minute (log-logistic grid, median 100 ms times `latencyScale`). */
  readonly samplesPerMinute?: number
  readonly latencyScale?: number
  /** First minute with requests (0 by default). */
  readonly fromMinute?: number
}

/** Another service's requests on one cohort's traces, with a latency sample in every minute. */
function relatedCohort(spec: RelatedSpec): CohortSnapshot {
  const minutes: MinuteCounts[] = []
  for (let minute = spec.fromMinute ?? 0; minute < spec.minutes; minute++) {
    minutes.push({
      startMs: minute * 60_000,
      requests: spec.requestsPerMinute,
      errors: Math.round(spec.requestsPerMinute * spec.errorRate),
      latencyMs: latencyGrid(spec.samplesPerMinute ?? 100, spec.latencyScale ?? 1),
    })
  }
  return {
    requests: minutes.reduce((sum, minute) => sum + minute.requests, 0),
    errors: minutes.reduce((sum, minute) => sum + minute.errors, 0),
    latencyMs: [],
    minutes,
  }
}

function service(
  name: string,
  role: RelatedService['role'],
  baseline: RelatedSpec,
  canary: RelatedSpec = baseline,
): RelatedService {
  return { service: name, role, baseline: relatedCohort(baseline), canary: relatedCohort(canary) }
}

const PAYMENT: RelatedSpec = { minutes: 60, requestsPerMinute: 600, errorRate: 0.002 }

function verdictFor(
  related: RelatedResult | undefined,
  overrides: Partial<JudgeInput> & { minutes?: number } = {},
): Verdict {
  const minutes = overrides.minutes ?? OWN.minutes
  return judge({
    policy: POLICY,
    baseline: ok({ ...OWN, minutes }),
    canary: ok({ ...OWN, minutes, requestsPerMinute: 1000 }),
    startMs: 0,
    evaluatedAtMs: afterMinutes(minutes),
    canaryLabel: 'checkout 1.5.0',
    ...(related === undefined ? {} : { related }),
    ...overrides,
  })
}

describe('the blast radius in judge', () => {
  it('rolls back when a callee fails on traces through the canary while the canary’s own error rate is unchanged', () => {
    const broken = service(
      'payment',
      'callee',
      { ...PAYMENT, minutes: 20 },
      {
        ...PAYMENT,
        minutes: 20,
        errorRate: 0.05,
      },
    )
    const verdict = verdictFor({ ok: true, services: [broken] }, { minutes: 20 })
    expect(verdict.decision).toBe('rollback')
    expect(verdict.metrics.find((metric) => metric.name === 'error-rate')?.decision).not.toBe(
      'worse',
    )
    const blast = verdict.metrics.find(
      (metric) => metric.name === 'blast-radius:payment:error-rate',
    )
    expect(blast?.decision).toBe('worse')
    expect(blast?.blastRadius).toEqual({ service: 'payment', role: 'callee' })
    expect(verdict.reasons[0]).toMatch(
      /^payment's error-rate on traces through checkout 1\.5\.0 \(callee\): traces through the canary 5% .* vs through the baseline 0\.167% .*; effect \+2900%/,
    )
  })

  it('promotes when every other service fares the same on both cohorts’ traces', () => {
    const callee = service('payment', 'callee', { ...PAYMENT, samplesPerMinute: 100 })
    const caller = service('frontend', 'caller', { ...PAYMENT, requestsPerMinute: 900 })
    const verdict = verdictFor({ ok: true, services: [callee, caller] })
    expect(verdict.decision).toBe('promote')
    const blast = verdict.metrics.filter((metric) => metric.blastRadius !== undefined)
    expect(blast.map((metric) => metric.name).sort()).toEqual([
      'blast-radius:frontend:error-rate',
      'blast-radius:frontend:latency-p95',
      'blast-radius:payment:error-rate',
      'blast-radius:payment:latency-p95',
    ])
    expect(blast.every((metric) => metric.decision === 'non-inferior')).toBe(true)
  })

  it('sets one rule’s share of α aside for the blast radius only when it is given, whatever appears', () => {
    const without = verdictFor(undefined)
    const empty = verdictFor({ ok: true, services: [] })
    const busy = verdictFor({ ok: true, services: [service('payment', 'callee', PAYMENT)] })
    // Two critical metrics and the budget guard; with the blast radius, a fourth rule.
    expect(without.alpha.rollbackPerRule).toBeCloseTo(0.01 / 3, 12)
    expect(without.blastRadius).toBeNull()
    expect(empty.alpha.rollbackPerRule).toBeCloseTo(0.01 / 4, 12)
    expect(busy.alpha.rollbackPerRule).toBeCloseTo(0.01 / 4, 12)
    // Split over 8 services and 2 critical rules each, in advance.
    expect(busy.blastRadius?.alphaPerRule).toBeCloseTo(0.01 / 4 / 16, 12)
    const blast = busy.metrics.find((metric) => metric.name === 'blast-radius:payment:error-rate')
    expect(blast?.alpha.rollback).toBeCloseTo(0.01 / 4 / 16, 12)
  })

  it('spends no α on the blast radius when its rules may not roll back', () => {
    const policy = parsePolicy({ slo: { availability: 0.99 }, blastRadius: { rollback: false } })
    const broken = service(
      'payment',
      'callee',
      { ...PAYMENT, minutes: 20 },
      {
        ...PAYMENT,
        minutes: 20,
        errorRate: 0.05,
      },
    )
    const verdict = verdictFor({ ok: true, services: [broken] }, { policy, minutes: 20 })
    expect(verdict.alpha.rollbackPerRule).toBeCloseTo(0.01 / 3, 12)
    expect(verdict.decision).toBe('continue')
    const blast = verdict.metrics.find(
      (metric) => metric.name === 'blast-radius:payment:error-rate',
    )
    expect(blast?.critical).toBe(false)
    expect(verdict.reasons.join(' ')).toContain('not critical: it blocks promotion')
  })

  it('judges the first maxServices services to appear and lists the others as not judged', () => {
    const policy = parsePolicy({ slo: { availability: 0.99 }, blastRadius: { maxServices: 2 } })
    const services = [
      service('zeta', 'other', { ...PAYMENT, fromMinute: 0 }),
      service('late', 'callee', { ...PAYMENT, fromMinute: 5 }),
      service('alpha', 'caller', { ...PAYMENT, fromMinute: 0 }),
      service('beta', 'callee', { ...PAYMENT, fromMinute: 0, requestsPerMinute: 10 }),
    ]
    const verdict = verdictFor({ ok: true, services }, { policy })
    expect(verdict.blastRadius?.services.map((entry) => [entry.service, entry.judged])).toEqual([
      ['beta', true],
      ['alpha', true],
      ['zeta', false],
      ['late', false],
    ])
    const judged = new Set(
      verdict.metrics.flatMap((metric) => (metric.blastRadius ? [metric.blastRadius.service] : [])),
    )
    expect(judged).toEqual(new Set(['beta', 'alpha']))
    // The order of the input does not matter.
    const reversed = verdictFor({ ok: true, services: [...services].reverse() }, { policy })
    expect(reversed).toEqual(verdict)
  })

  it('uses a minute of the blast radius only once it ended a minute before the watermark', () => {
    // Evaluated 30 s into minute 10 with a 30 s ingest lag: the canary's own minutes 0-9 are
    // complete, the blast radius's only 0-8.
    const spec = { ...PAYMENT, minutes: 10 }
    const verdict = verdictFor(
      { ok: true, services: [service('payment', 'callee', spec)] },
      { minutes: 10, evaluatedAtMs: 10 * 60_000 + 30_000, ingestLagMs: 30_000 },
    )
    const entry = verdict.blastRadius?.services[0]
    expect(entry?.baselineRequests).toBe(9 * 600)
    const onlyLast = { ...spec, fromMinute: 9 }
    const unseen = verdictFor(
      { ok: true, services: [service('payment', 'callee', onlyLast)] },
      { minutes: 10, evaluatedAtMs: 10 * 60_000 + 30_000, ingestLagMs: 30_000 },
    )
    expect(unseen.blastRadius?.services).toEqual([])
  })

  it('keeps the verdict at continue while a judged service has too few requests', () => {
    const sparse = service('audit', 'callee', { ...PAYMENT, requestsPerMinute: 3 })
    const verdict = verdictFor({ ok: true, services: [sparse] })
    expect(verdict.decision).toBe('continue')
    expect(verdict.missing).toContainEqual({
      kind: 'samples',
      metric: 'blast-radius:audit:error-rate',
      cohort: 'baseline',
      have: 177,
      need: 300,
    })
  })

  it('never promotes when the blast radius cannot be read, and says why', () => {
    const verdict = verdictFor({ ok: false, error: 'the trace join failed' })
    expect(verdict.decision).toBe('continue')
    expect(verdict.missing).toContainEqual({ kind: 'blast-radius', error: 'the trace join failed' })
    expect(verdict.blastRadius?.error).toBe('the trace join failed')
    expect(verdict.reasons[0]).toContain('the blast radius could not be read')
  })

  it('rolls back on a caller whose latency rises on traces through the canary', () => {
    const slow = service(
      'frontend',
      'caller',
      { ...PAYMENT, minutes: 30, samplesPerMinute: 200 },
      { ...PAYMENT, minutes: 30, samplesPerMinute: 200, latencyScale: 1.6 },
    )
    const verdict = verdictFor({ ok: true, services: [slow] }, { minutes: 30 })
    expect(verdict.decision).toBe('rollback')
    expect(
      verdict.metrics.find((metric) => metric.name === 'blast-radius:frontend:latency-p95')
        ?.decision,
    ).toBe('worse')
  })
})
