import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  judge,
  parsePolicy,
  type CohortSnapshot,
  type JudgeInput,
  type Policy,
} from '../../../src/analysis/index.ts'
import { createRandom, shuffled } from './seeded-random.ts'

/** Policies under which the properties must hold: small minimums so that every decision occurs. */
const POLICIES: readonly Policy[] = [
  parsePolicy({
    slo: { availability: 0.99 },
    analysis: { minDuration: 0, maxDuration: '20m' },
    metrics: [
      { name: 'error-rate', kind: 'error-rate', minSamples: 50 },
      { name: 'latency-p50', kind: 'latency', quantile: 0.5, minSamples: 20, critical: false },
      { name: 'latency-p95', kind: 'latency', quantile: 0.95, minSamples: 20 },
    ],
  }),
  parsePolicy({
    slo: { availability: 0.995 },
    alpha: 0.1,
    analysis: { minDuration: '1m', maxDuration: '15m' },
    expectedCanaryShare: 0.25,
    metrics: [
      { name: 'errors', kind: 'error-rate', tolerance: { absolute: 0.01 }, minSamples: 30 },
      { name: 'p90', kind: 'latency', quantile: 0.9, tolerance: { absolute: 20 }, minSamples: 10 },
      { name: 'value', kind: 'numeric', tolerance: { absolute: 5 }, minSamples: 10 },
      { name: 'basket', kind: 'numeric', direction: 'lower', tolerance: '10%', minSamples: 10 },
    ],
  }),
  parsePolicy({
    alpha: 0.2,
    analysis: { minDuration: 0, maxDuration: '30m' },
    metrics: [
      { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0 }, minSamples: 0 },
      {
        name: 'latency-p99',
        kind: 'latency',
        quantile: 0.99,
        tolerance: { relative: 0 },
        minSamples: 0,
      },
    ],
  }),
  parsePolicy({
    alpha: 0.2,
    slo: { availability: 0.9 },
    analysis: { minDuration: 0, maxDuration: '1h' },
    metrics: [
      { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 2 }, minSamples: 10 },
      { name: 'latency-p50', kind: 'latency', quantile: 0.5, tolerance: '150%', minSamples: 10 },
    ],
  }),
]

/**
 * A cohort over `minutes` minutes: per-minute counts around one error rate, a latency sample
 * with ties, event values.
 */
function cohortArbitrary(
  minutes: number,
  maxPerMinute: number,
  maxErrorRate: number,
): fc.Arbitrary<CohortSnapshot> {
  const minute = fc.tuple(
    fc.integer({ min: 0, max: maxPerMinute }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  )
  return fc
    .record({
      rate: fc.double({ min: 0, max: maxErrorRate, noNaN: true }),
      counts: fc.array(minute, { minLength: minutes, maxLength: minutes }),
      latencyMs: fc.array(
        fc.integer({ min: 1, max: 600 }).map((ms) => ms / 2),
        {
          maxLength: 400,
          size: 'large',
        },
      ),
      value: fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 150, size: 'large' }),
      basket: fc.array(fc.integer({ min: 100, max: 300 }), { maxLength: 150, size: 'large' }),
    })
    .map(({ rate, counts, latencyMs, value, basket }) => {
      // Errors per minute: the cohort's rate, rounded up or down at random.
      const perMinute = counts.map(([requests, jitter], i) => ({
        startMs: i * 60_000,
        requests,
        errors: Math.min(requests, Math.floor(requests * rate + jitter)),
      }))
      return {
        requests: perMinute.reduce((sum, c) => sum + c.requests, 0),
        errors: perMinute.reduce((sum, c) => sum + c.errors, 0),
        latencyMs,
        minutes: perMinute,
        values: { value, basket },
      }
    })
}

const inputArbitrary: fc.Arbitrary<JudgeInput> = fc
  .record({
    minutes: fc.integer({ min: 0, max: 25 }),
    offsetMs: fc.integer({ min: 0, max: 59_999 }),
    policy: fc.constantFrom(...POLICIES),
    canaryErrorRate: fc.constantFrom(0.03, 0.1, 0.3),
  })
  .chain(({ minutes, offsetMs, policy, canaryErrorRate }) =>
    fc.record({
      policy: fc.constant(policy),
      baseline: cohortArbitrary(minutes, 2000, 0.03).map((data) => ({ ok: true as const, data })),
      canary: cohortArbitrary(minutes, 800, canaryErrorRate).map((data) => ({
        ok: true as const,
        data,
      })),
      startMs: fc.constant(0),
      evaluatedAtMs: fc.constant(minutes * 60_000 + offsetMs),
    }),
  )

/** The canary made worse: more errors in some minutes, slower requests, worse event values. */
function worsen(
  data: CohortSnapshot,
  extraErrors: number,
  slowdown: number,
  shift: number,
): CohortSnapshot {
  let added = 0
  const minutes = data.minutes.map((minute) => {
    const more = Math.min(extraErrors, minute.requests - minute.errors)
    added += more
    return { ...minute, errors: minute.errors + more }
  })
  return {
    ...data,
    errors: data.errors + added,
    minutes,
    latencyMs: Array.from(data.latencyMs, (ms) => ms * slowdown),
    values: {
      value: (data.values?.value ?? []).map((v) => v + shift),
      basket: (data.values?.basket ?? []).map((v) => v - shift),
    },
  }
}

function asJson(input: JudgeInput): string {
  return JSON.stringify(judge(input))
}

describe('judge properties', () => {
  it('never turns rollback into promote when the canary gets worse', () => {
    fc.assert(
      fc.property(
        inputArbitrary,
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        (input, extraErrors, slowdown, shift) => {
          if (!input.canary.ok || judge(input).decision !== 'rollback') return
          const worse = {
            ok: true as const,
            data: worsen(input.canary.data, extraErrors, slowdown, shift),
          }
          expect(judge({ ...input, canary: worse }).decision).not.toBe('promote')
        },
      ),
      { numRuns: 300 },
    )
  })

  it('gives the same verdict whatever the order of the samples', () => {
    fc.assert(
      fc.property(inputArbitrary, fc.integer(), (input, seed) => {
        const random = createRandom(seed)
        const reorder = (result: JudgeInput['baseline']): JudgeInput['baseline'] =>
          result.ok
            ? {
                ok: true,
                data: {
                  ...result.data,
                  latencyMs: shuffled(Array.from(result.data.latencyMs), random),
                  values: {
                    value: shuffled(result.data.values?.value ?? [], random),
                    basket: shuffled(result.data.values?.basket ?? [], random),
                  },
                },
              }
            : result
        expect(
          asJson({ ...input, baseline: reorder(input.baseline), canary: reorder(input.canary) }),
        ).toBe(asJson(input))
      }),
      { numRuns: 150 },
    )
  })

  it('gives the same verdict when identical cohorts are swapped, and finds no metric worse', () => {
    fc.assert(
      fc.property(inputArbitrary, fc.integer(), (input, seed) => {
        if (!input.baseline.ok) return
        const data = input.baseline.data
        const copy = {
          ...data,
          latencyMs: shuffled(Array.from(data.latencyMs), createRandom(seed)),
        }
        const one = {
          ...input,
          baseline: { ok: true as const, data },
          canary: { ok: true as const, data: copy },
        }
        const other = { ...input, baseline: one.canary, canary: one.baseline }
        expect(asJson(other)).toBe(asJson(one))
        expect(judge(one).metrics.some((metric) => metric.decision === 'worse')).toBe(false)
      }),
      { numRuns: 150 },
    )
  })

  it('gives the same verdict, bit for bit, for the same input', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        expect(asJson(structuredClone(input))).toBe(asJson(input))
      }),
      { numRuns: 100 },
    )
  })

  it('writes only finite numbers or null', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const verdict = judge(input)
        expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict)
      }),
      { numRuns: 150 },
    )
  })
})
