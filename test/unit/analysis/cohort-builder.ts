import type { CohortSnapshot, MinuteCounts } from '../../../src/analysis/index.ts'

export interface CohortSpec {
  readonly minutes: number
  readonly requestsPerMinute: number
  /** Errors per minute are round(requests × rate): deterministic data. */
  readonly errorRate: number
  /** Latency samples per minute, spread evenly over a log-logistic distribution (median 100 ms). */
  readonly samplesPerMinute?: number
  readonly latencyScale?: number
  readonly startMs?: number
  readonly values?: Readonly<Record<string, readonly number[]>>
}

/**
 * n latencies at the (i + ½)/n quantiles of a log-logistic distribution (median 100 ms, shape
 * 1/0.3, so p95 ≈ 242 ms and p99 ≈ 396 ms): a noiseless, heavy-tailed "sample".
 */
export function latencyGrid(n: number, scale = 1): number[] {
  return Array.from({ length: n }, (_, i) => {
    const u = (i + 0.5) / n
    return scale * 100 * (u / (1 - u)) ** 0.3
  })
}

/** A cohort with the same traffic every minute, starting at `startMs` (0 by default). */
export function buildCohort(spec: CohortSpec): CohortSnapshot {
  const startMs = spec.startMs ?? 0
  const minutes: MinuteCounts[] = Array.from({ length: spec.minutes }, (_, i) => ({
    startMs: startMs + i * 60_000,
    requests: spec.requestsPerMinute,
    errors: Math.round(spec.requestsPerMinute * spec.errorRate),
  }))
  return {
    requests: minutes.reduce((sum, minute) => sum + minute.requests, 0),
    errors: minutes.reduce((sum, minute) => sum + minute.errors, 0),
    latencyMs: latencyGrid((spec.samplesPerMinute ?? 0) * spec.minutes, spec.latencyScale ?? 1),
    minutes,
    ...(spec.values === undefined ? {} : { values: spec.values }),
  }
}

/** The evaluation time `minutes` complete minutes after a start at 0, plus 30 s into the next. */
export function afterMinutes(minutes: number): number {
  return minutes * 60_000 + 30_000
}
