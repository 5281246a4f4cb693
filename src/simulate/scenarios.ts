import type { CohortSelector } from '../verdicts/analysis-definition.ts'

/** How a cohort's requests behave: the truth the simulation draws requests from. */
export interface Behaviour {
  /** Share of requests that fail, in [0, 1]. */
  readonly errorRate: number
  /** Median latency in milliseconds; latencies are log-normal around it. */
  readonly latencyMedianMs: number
}

export const SCENARIO_NAMES = ['healthy', 'bad-release', 'bad-flag', 'low-traffic'] as const

export type ScenarioName = (typeof SCENARIO_NAMES)[number]

export interface Scenario {
  readonly name: ScenarioName
  /** What happens, in one sentence, for the CLI and the docs. */
  readonly summary: string
  /** What the verdict should become, in words. */
  readonly expected: string
  readonly service: string
  readonly environment: string
  readonly routes: readonly string[]
  /** Releases serving at once, with their share of requests (the shares sum to 1). */
  readonly releases: readonly { readonly version: string; readonly share: number }[]
  /** A flag every request evaluates through OpenFeature, with each variant's share of users. */
  readonly flag: { readonly key: string; readonly variants: Readonly<Record<string, number>> }
  /** Requests per second when `--rate` is not given. */
  readonly defaultRatePerSecond: number
  readonly analysis: { readonly baseline: CohortSelector; readonly canary: CohortSelector }
  behaviour(release: string, variant: string): Behaviour
}

const HEALTHY: Behaviour = { errorRate: 0.002, latencyMedianMs: 80 }

/**
 * Four stories a newcomer can watch end to end. Each uses its own service so that running
 * them one after another keeps their data apart. Error rates stay under the default SLO's
 * fast-burn limit unless the story is about a bad change.
 */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  healthy: {
    name: 'healthy',
    summary: 'cart 2.4.0 takes half the traffic and behaves exactly like 2.3.0',
    expected: 'continue while evidence accumulates, then promote',
    service: 'cart',
    environment: 'production',
    routes: ['GET /api/cart', 'POST /api/cart/items', 'DELETE /api/cart/items/{id}'],
    releases: [
      { version: '2.3.0', share: 0.5 },
      { version: '2.4.0', share: 0.5 },
    ],
    flag: { key: 'express-checkout', variants: { on: 0.3, off: 0.7 } },
    defaultRatePerSecond: 40,
    analysis: { baseline: { release: '2.3.0' }, canary: { release: '2.4.0' } },
    behaviour: () => HEALTHY,
  },
  'bad-release': {
    name: 'bad-release',
    summary: 'checkout 1.5.0 takes 30% of the traffic and fails 4% of requests, 50% slower',
    expected: 'rollback, with the error rate and latency named in the reasons',
    service: 'checkout',
    environment: 'production',
    routes: ['POST /api/checkout', 'GET /api/checkout/{id}', 'POST /api/checkout/{id}/pay'],
    releases: [
      { version: '1.4.2', share: 0.7 },
      { version: '1.5.0', share: 0.3 },
    ],
    flag: { key: 'new-payment-form', variants: { on: 0.5, off: 0.5 } },
    defaultRatePerSecond: 40,
    analysis: { baseline: { release: '1.4.2' }, canary: { release: '1.5.0' } },
    behaviour: (release) =>
      release === '1.5.0' ? { errorRate: 0.04, latencyMedianMs: 120 } : HEALTHY,
  },
  'bad-flag': {
    name: 'bad-flag',
    summary:
      'search 3.1.0 serves everyone; users with semantic-ranking=on (30%) see 3% errors and doubled latency',
    expected: 'rollback of the flag variant, while the release as a whole looks merely worse',
    service: 'search',
    environment: 'production',
    routes: ['GET /api/search', 'GET /api/search/suggest'],
    releases: [{ version: '3.1.0', share: 1 }],
    flag: { key: 'semantic-ranking', variants: { on: 0.3, off: 0.7 } },
    defaultRatePerSecond: 40,
    analysis: {
      baseline: { release: '3.1.0', flag: { key: 'semantic-ranking', variant: 'off' } },
      canary: { release: '3.1.0', flag: { key: 'semantic-ranking', variant: 'on' } },
    },
    behaviour: (_release, variant) =>
      variant === 'on' ? { errorRate: 0.03, latencyMedianMs: 170 } : HEALTHY,
  },
  'low-traffic': {
    name: 'low-traffic',
    summary: 'billing 1.0.0 gets a request every few seconds: far too few to judge',
    expected: 'continue, saying how many more requests each cohort needs',
    service: 'billing',
    environment: 'production',
    routes: ['POST /api/invoices', 'GET /api/invoices/{id}'],
    releases: [
      { version: '0.9.0', share: 0.5 },
      { version: '1.0.0', share: 0.5 },
    ],
    flag: { key: 'pdf-invoices', variants: { on: 0.5, off: 0.5 } },
    defaultRatePerSecond: 0.3,
    analysis: { baseline: { release: '0.9.0' }, canary: { release: '1.0.0' } },
    behaviour: () => HEALTHY,
  },
}

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value)
}
