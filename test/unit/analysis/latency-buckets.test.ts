import { describe, expect, it } from 'vitest'
import {
  judge,
  parseCohortSnapshot,
  parsePolicy,
  type CohortSnapshot,
  type MetricResult,
} from '../../../src/analysis/index.ts'
import { afterMinutes, buildCohort, latencyGrid } from './cohort-builder.ts'

const POLICY = parsePolicy({
  metrics: [{ name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: '10%' }],
  budget: { guard: false },
})
const MINUTES = 30

/**
 * A cohort whose latencies are known only by bucket: each value of the grid (× `scale`) is
 * counted in the bucket of `bounds` that holds it, and stands in the sample at `place` within
 * that bucket (0: its lower edge, 1: its upper edge).
 */
function bucketed(bounds: readonly number[], scale: number, place: number): CohortSnapshot {
  const base = buildCohort({ minutes: MINUTES, requestsPerMinute: 1000, errorRate: 0.01 })
  const lower: number[] = []
  const upper: number[] = []
  const latencyMs = latencyGrid(300 * MINUTES, scale).map((value) => {
    const index = bounds.findIndex((bound) => value <= bound)
    const low = index <= 0 ? 0 : bounds[index - 1]!
    const high = index < 0 ? Infinity : bounds[index]!
    lower.push(low)
    upper.push(high)
    return Number.isFinite(high) ? low + place * (high - low) : low
  })
  return { ...base, latencyMs, latencyBucketsMs: { lower, upper } }
}

function p95Of(baseline: CohortSnapshot, canary: CohortSnapshot): MetricResult {
  const verdict = judge({
    policy: POLICY,
    baseline: { ok: true, data: baseline },
    canary: { ok: true, data: canary },
    startMs: 0,
    evaluatedAtMs: afterMinutes(MINUTES),
  })
  return verdict.metrics[0]!
}

const COARSE = [10, 25, 50, 100, 400, 1000]
const FINE = Array.from({ length: 80 }, (_, i) => 10 * 1.1 ** i)

describe('latency from histogram buckets', () => {
  it('bounds a quantile by bucket edges and says that buckets limit what can be shown', () => {
    const result = p95Of(bucketed(COARSE, 1, 0.5), bucketed(COARSE, 1, 0.5))
    // p95 ≈ 242 ms lies in (100, 400]: the bounds are those edges, never tighter.
    expect(result.canary.lower).toBe(100)
    expect(result.canary.upper).toBe(400)
    expect(result.sentence).toMatch(/histogram buckets.*bucket boundaries limit what can be shown/)
  })

  it('does not roll back a shift within one bucket, whatever value stands for the bucket', () => {
    // Both cohorts in the same buckets; the canary's values are drawn at the buckets' upper
    // edges, the baseline's at their lower edges: without the edges the canary looks +300% slower.
    const baseline = bucketed(COARSE, 1, 0)
    const canary = bucketed(COARSE, 1.02, 1)
    expect(p95Of(baseline, canary).decision).not.toBe('worse')
    const withoutEdges = (cohort: CohortSnapshot): CohortSnapshot => ({
      requests: cohort.requests,
      errors: cohort.errors,
      latencyMs: cohort.latencyMs,
      minutes: cohort.minutes,
    })
    expect(p95Of(withoutEdges(baseline), withoutEdges(canary)).decision).toBe('worse')
  })

  it('detects a +50% p95 shift when the buckets are fine enough, not when one bucket holds both', () => {
    expect(p95Of(bucketed(FINE, 1, 0.5), bucketed(FINE, 1.5, 0.5)).decision).toBe('worse')
    // 242 ms and 363 ms: both in the bucket (100, 400].
    expect(p95Of(bucketed(COARSE, 1, 0.5), bucketed(COARSE, 1.5, 0.5)).decision).not.toBe('worse')
  })

  it('leaves a quantile in the open last bucket unbounded above', () => {
    const result = p95Of(bucketed([10, 50], 1, 0.5), bucketed([10, 50], 1, 0.5))
    expect(result.canary.upper).toBeNull()
    expect(result.decision).not.toBe('non-inferior')
  })
})

describe('parseCohortSnapshot with latencyBucketsMs', () => {
  it('reads bucket edges, null as an open edge', () => {
    const snapshot = parseCohortSnapshot(
      {
        requests: 2,
        errors: 0,
        minutes: [{ startMs: 0, requests: 2, errors: 0 }],
        latencyMs: [5, 300],
        latencyBucketsMs: { lower: [null, 250], upper: [10, null] },
      },
      'canary',
    )
    expect(snapshot.latencyBucketsMs).toEqual({ lower: [-Infinity, 250], upper: [10, Infinity] })
  })

  it('refuses edges that do not match the latency values one for one', () => {
    expect(() =>
      parseCohortSnapshot(
        {
          requests: 1,
          errors: 0,
          minutes: [{ startMs: 0, requests: 1, errors: 0 }],
          latencyMs: [5],
          latencyBucketsMs: { lower: [0], upper: [] },
        },
        'canary',
      ),
    ).toThrow(/canary\.latencyBucketsMs\.upper must be a list of 1 edges/)
  })
})
