import type { CohortSelector } from '../verdicts/analysis-definition.ts'

/** How a cohort's requests behave: the truth the simulation draws requests from. */
export interface Behaviour {
  /** Share of requests that fail, in [0, 1]. */
  readonly errorRate: number
  /** Median latency in milliseconds; latencies are log-normal around it. */
  readonly latencyMedianMs: number
}

export const SCENARIO_NAMES = [
  'healthy',
  'bad-release',
  'bad-flag',
  'low-traffic',
  'downstream-breakage',
  'release-train',
] as const

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
  /**
   * A service every request calls on the same trace (W3C trace context): what the canary's
   * blast radius sees. `behaviour` is told the caller's release.
   */
  readonly downstream?: {
    readonly service: string
    readonly version: string
    readonly route: string
    behaviour(callerRelease: string): Behaviour
  }
  /**
   * A second service shipped in the same release train: each request is matched by one of
   * the partner's, and the simulation creates and polls a train of both instead of an analysis.
   */
  readonly trainPartner?: {
    readonly service: string
    readonly route: string
    readonly releases: readonly { readonly version: string; readonly share: number }[]
    readonly analysis: { readonly baseline: CohortSelector; readonly canary: CohortSelector }
    behaviour(release: string): Behaviour
  }
}

const HEALTHY: Behaviour = { errorRate: 0.002, latencyMedianMs: 80 }
const HEALTHY_CALLEE: Behaviour = { errorRate: 0.002, latencyMedianMs: 30 }

/**
 * Stories a newcomer can watch end to end (the last two rehearse releases across teams). Each uses its own service so that running
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
  'downstream-breakage': {
    name: 'downstream-breakage',
    summary:
      'storefront 4.2.0 (30%) is as healthy as 4.1.0, but the inventory service it calls fails 5% of the requests it sends',
    expected:
      'rollback on blast-radius:inventory:error-rate while storefront’s own error rate is unchanged',
    service: 'storefront',
    environment: 'production',
    routes: ['GET /api/products/{id}', 'GET /api/products'],
    releases: [
      { version: '4.1.0', share: 0.7 },
      { version: '4.2.0', share: 0.3 },
    ],
    flag: { key: 'new-product-page', variants: { on: 0.5, off: 0.5 } },
    defaultRatePerSecond: 40,
    analysis: { baseline: { release: '4.1.0' }, canary: { release: '4.2.0' } },
    behaviour: () => HEALTHY,
    downstream: {
      service: 'inventory',
      version: '9.0.0',
      route: 'GET /api/stock/{sku}',
      behaviour: (callerRelease) =>
        callerRelease === '4.2.0' ? { errorRate: 0.05, latencyMedianMs: 30 } : HEALTHY_CALLEE,
    },
  },
  'release-train': {
    name: 'release-train',
    summary:
      'orders 5.3.0 and invoices 2.1.0 ship together as a train (30% each); orders is fine, invoices 2.1.0 fails 4% of requests',
    expected: 'the train rolls back, naming invoices and its error rate; both members go back',
    service: 'orders',
    environment: 'production',
    routes: ['POST /api/orders', 'GET /api/orders/{id}'],
    releases: [
      { version: '5.2.0', share: 0.7 },
      { version: '5.3.0', share: 0.3 },
    ],
    flag: { key: 'split-shipments', variants: { on: 0.5, off: 0.5 } },
    defaultRatePerSecond: 40,
    analysis: { baseline: { release: '5.2.0' }, canary: { release: '5.3.0' } },
    behaviour: () => HEALTHY,
    trainPartner: {
      service: 'invoices',
      route: 'POST /api/invoices',
      releases: [
        { version: '2.0.0', share: 0.7 },
        { version: '2.1.0', share: 0.3 },
      ],
      analysis: { baseline: { release: '2.0.0' }, canary: { release: '2.1.0' } },
      behaviour: (release) =>
        release === '2.1.0' ? { errorRate: 0.04, latencyMedianMs: 80 } : HEALTHY,
    },
  },
}

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value)
}
