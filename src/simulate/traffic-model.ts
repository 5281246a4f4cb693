import { sum } from 'simple-statistics'
import type { Behaviour, Scenario } from './scenarios.ts'

/** What one simulated request is, before the flag decides its variant. */
export interface PlannedRequest {
  readonly startMs: number
  readonly release: string
  readonly route: string
  /** The OpenFeature targeting key: the flag variant follows the user. */
  readonly userId: string
  /** Uniform draws in [0, 1) that decide the outcome once the variant is known. */
  readonly draws: Draws
  /**
   * Draws for the other service the request reaches (a downstream callee, or the train
   * partner's request): only in scenarios with one, so the others keep their sequences.
   */
  readonly otherDraws?: Draws
}

export interface Draws {
  readonly failure: number
  readonly latency: [number, number]
}

export interface RequestOutcome {
  readonly failed: boolean
  readonly httpStatus: number
  readonly latencyMs: number
}

/** Users the traffic comes from; enough that variant shares match the configured split. */
const USERS = 5_000

/** Spread of log latency: p95 is about 1.8 times the median, p99 about 2.3 times. */
const LATENCY_SIGMA = 0.35

/** Plans the next request at `startMs`: its release by traffic share, its route and user. */
export function planRequest(
  scenario: Scenario,
  random: () => number,
  startMs: number,
): PlannedRequest {
  return {
    startMs,
    release: pickByShare(
      scenario.releases.map((release) => [release.version, release.share] as const),
      random(),
    ),
    route: scenario.routes[Math.floor(random() * scenario.routes.length)] ?? 'GET /',
    userId: `user-${Math.floor(random() * USERS)}`,
    draws: { failure: random(), latency: [random(), random()] },
    ...(scenario.downstream === undefined && scenario.trainPartner === undefined
      ? {}
      : { otherDraws: { failure: random(), latency: [random(), random()] } }),
  }
}

/** The outcome of a planned request served by a cohort that behaves as `behaviour`. */
export function toOutcome(
  request: Pick<PlannedRequest, 'draws'>,
  behaviour: Behaviour,
): RequestOutcome {
  const failed = request.draws.failure < behaviour.errorRate
  const [u1, u2] = request.draws.latency
  // Box-Muller: a standard normal draw from two uniform ones; log-normal latency around the median.
  // Written out rather than simple-statistics' probit(u): its inverse-erf approximation gives
  // probit(0.999) = 3.0801 against the exact 3.0902, which thins the tail the p99 rules judge.
  // (Measured here: 90-130 ns a draw either way, so speed decides nothing.)
  const normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2)
  const latencyMs = behaviour.latencyMedianMs * Math.exp(LATENCY_SIGMA * normal)
  return { failed, httpStatus: failed ? 503 : 200, latencyMs: Math.max(0.1, latencyMs) }
}

/**
 * The variant a user sees: a stable hash of the user places them in [0, 1), and the variants'
 * shares cut that interval, as percentage rollouts in flag services do.
 */
export function variantForUser(variants: Readonly<Record<string, number>>, userId: string): string {
  return pickByShare(Object.entries(variants), hashToUnit(userId))
}

/** Start times of `count` requests spread evenly over [fromMs, fromMs + spanMs). */
export function spreadStartTimes(fromMs: number, spanMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => fromMs + (index * spanMs) / count)
}

function pickByShare(entries: readonly (readonly [string, number])[], unit: number): string {
  const total = sum(entries.map(([, share]) => share))
  let cumulative = 0
  for (const [name, share] of entries) {
    cumulative += share / total
    if (unit < cumulative) return name
  }
  return entries[entries.length - 1]?.[0] ?? ''
}

/** FNV-1a, 32 bits, scaled to [0, 1). */
function hashToUnit(text: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) / 4_294_967_296
}
