import type { Policy } from './policy-types.ts'

/**
 * The policy used when none is given: error rate (+25% or +0.05 percentage points, whichever
 * is larger) and latency p50/p95/p99 against the
 * baseline, an availability SLO of 99.9% with the SRE workbook's burn-rate windows
 * (14.4× over 1 h with 5 min, 6× over 6 h with 30 min), α = 1%. The blast radius judges up
 * to 8 other services on the canary's traces by their error rate (+25% or +0.1 percentage
 * points) and p95 latency (+20%), and may roll back.
 */
export const DEFAULT_POLICY: Policy = deepFreeze({
  alpha: 0.01,
  analysis: { minDurationSeconds: 600, maxDurationSeconds: 7200 },
  metrics: [
    {
      name: 'error-rate',
      kind: 'error-rate',
      direction: 'higher',
      tolerance: { relative: 0.25, absolute: 0.0005 },
      critical: true,
      minSamples: 1000,
    },
    {
      name: 'latency-p50',
      kind: 'latency',
      quantile: 0.5,
      direction: 'higher',
      tolerance: { relative: 0.1 },
      critical: false,
      minSamples: 500,
    },
    {
      name: 'latency-p95',
      kind: 'latency',
      quantile: 0.95,
      direction: 'higher',
      tolerance: { relative: 0.1 },
      critical: true,
      minSamples: 500,
    },
    {
      name: 'latency-p99',
      kind: 'latency',
      quantile: 0.99,
      direction: 'higher',
      tolerance: { relative: 0.2 },
      critical: false,
      minSamples: 500,
    },
  ],
  slo: { availability: 0.999, latency: null },
  budget: {
    guard: true,
    windows: [
      { longSeconds: 3600, shortSeconds: 300, burnRate: 14.4 },
      { longSeconds: 21600, shortSeconds: 1800, burnRate: 6 },
    ],
  },
  expectedCanaryShare: null,
  blastRadius: {
    enabled: true,
    maxServices: 8,
    metrics: [
      {
        name: 'error-rate',
        kind: 'error-rate',
        direction: 'higher',
        tolerance: { relative: 0.25, absolute: 0.001 },
        critical: true,
        minSamples: 300,
      },
      {
        name: 'latency-p95',
        kind: 'latency',
        quantile: 0.95,
        direction: 'higher',
        tolerance: { relative: 0.2 },
        critical: true,
        minSamples: 200,
      },
    ],
  },
  source: { kind: 'spans' },
})

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
