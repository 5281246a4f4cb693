/**
 * Monte-Carlo simulation of the canary judge under continuous polling (issue 3).
 *
 * Each simulated canary runs for two hours of traffic and is judged every minute, 30 s into
 * the minute (120 looks, the last one past maxDuration), exactly as a rollout controller
 * polls the API: the judge sees cumulative data, including a half-filled current minute.
 * Next to it, a naive fixed-horizon rule with the same hypotheses, tolerances and α split is
 * evaluated at the same looks, to show what continuous monitoring does to a test that ignores it.
 *
 *   node benchmarks/judge-simulation.ts [--canaries 1000] [--workers 2] [--seed 20261122]
 *
 * Prints a Markdown report (the `## Canary judge (issue 3)` section of RESULTS.md is made from
 * it). Randomness is a seeded xoshiro128** generator per canary, so results do not depend on
 * the number of workers.
 */
import { availableParallelism } from 'node:os'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { judge, parsePolicy, type Decision, type Policy } from '../src/analysis/index.ts'
import { mannWhitneyUSorted } from '../src/analysis/fixed-horizon/mann-whitney-u.ts'
import { normalSf } from '../src/analysis/math/normal.ts'

/** Traffic of one simulated service: a 20% canary at 5,000 requests per minute in total. */
const TRAFFIC = {
  baselinePerMinute: 4000,
  canaryPerMinute: 1000,
  /**
   * Latencies the store keeps per cohort and minute (a fixed-fraction sample that grows with
   * the data: 25% of the canary's requests, 6.25% of the baseline's).
   */
  latencySamplesPerMinute: 250,
  baseErrorRate: 0.01,
  medianLatencyMs: 100,
  /** Lognormal shape: p95 ≈ 2.7× and p99 ≈ 4× the median. */
  latencySigma: 0.6,
  looks: 120,
}

/** The SLO is set so that a 1% error rate burns the budget at 1× (the guard stays quiet). */
const BASE_POLICY = { slo: { availability: 0.99 } }
const ZERO_TOLERANCE_POLICY = {
  ...BASE_POLICY,
  metrics: [
    { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0 } },
    {
      name: 'latency-p50',
      kind: 'latency',
      quantile: 0.5,
      tolerance: { relative: 0 },
      critical: false,
    },
    { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: { relative: 0 } },
    {
      name: 'latency-p99',
      kind: 'latency',
      quantile: 0.99,
      tolerance: { relative: 0 },
      critical: false,
    },
  ],
}

interface Scenario {
  readonly id: string
  readonly label: string
  readonly errorFactor: number
  readonly latencyFactor: number
  readonly policy: unknown
  /** Keep polling after the first terminal decision (to measure any rollback at any look). */
  readonly pollAllLooks: boolean
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'aa',
    label: 'A/A, default policy',
    errorFactor: 1,
    latencyFactor: 1,
    policy: BASE_POLICY,
    pollAllLooks: true,
  },
  {
    id: 'aa-zero',
    label: 'A/A, zero tolerance (every rule at its null boundary)',
    errorFactor: 1,
    latencyFactor: 1,
    policy: ZERO_TOLERANCE_POLICY,
    pollAllLooks: true,
  },
  {
    id: 'errors-2x',
    label: 'A/B, error rate 2x (1% to 2%)',
    errorFactor: 2,
    latencyFactor: 1,
    policy: BASE_POLICY,
    pollAllLooks: false,
  },
  {
    id: 'latency-1.2',
    label: 'A/B, latency +20% (p95 +20%)',
    errorFactor: 1,
    latencyFactor: 1.2,
    policy: BASE_POLICY,
    pollAllLooks: false,
  },
]

interface Outcome {
  /** The first decision other than `continue` (or `continue` if none by the last look). */
  readonly first: Decision
  readonly firstLook: number
  readonly canaryRequests: number
  readonly canaryLatencySamples: number
  readonly everRollback: boolean
  readonly naiveEverRollback: boolean
  readonly kayentaEverRollback: boolean
}

// ---------------------------------------------------------------- random numbers

/** xoshiro128** (Blackman & Vigna 2018) seeded through splitmix32; uniform in [0, 1). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let s0 = splitmix()
  let s1 = splitmix()
  let s2 = splitmix()
  let s3 = splitmix()
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11)
    return result / 4294967296
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** Binomial(n, p) by inversion of the CDF (expected steps ≈ np; fine for small rates). */
function binomial(random: () => number, n: number, p: number): number {
  const q = 1 - p
  let pmf = q ** n
  let cdf = pmf
  const u = random()
  let k = 0
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / q)
    cdf += pmf
    k++
  }
  return k
}

function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

// ---------------------------------------------------------------- one cohort's growing data

class CohortStream {
  requests = 0
  errors = 0
  private readonly minutes: { startMs: number; requests: number; errors: number }[] = []
  private partial: { startMs: number; requests: number; errors: number } | null = null
  private latency: Float64Array
  private latencyCount = 0
  private pending: number[] = []
  private readonly random: () => number
  private readonly perHalfMinute: number
  private readonly errorRate: number
  private readonly latencyFactor: number

  constructor(random: () => number, perMinute: number, errorRate: number, latencyFactor: number) {
    this.random = random
    this.perHalfMinute = perMinute / 2
    this.errorRate = errorRate
    this.latencyFactor = latencyFactor
    this.latency = new Float64Array(TRAFFIC.latencySamplesPerMinute * (TRAFFIC.looks + 2))
  }

  /** Adds half a minute of traffic: the first half opens the minute, the second completes it. */
  addHalfMinute(half: number): void {
    const minute = Math.floor(half / 2)
    const errors = binomial(this.random, this.perHalfMinute, this.errorRate)
    this.requests += this.perHalfMinute
    this.errors += errors
    if (half % 2 === 0) {
      this.partial = { startMs: minute * 60_000, requests: this.perHalfMinute, errors }
    } else if (this.partial !== null) {
      this.minutes.push({
        ...this.partial,
        requests: this.partial.requests + this.perHalfMinute,
        errors: this.partial.errors + errors,
      })
      this.partial = null
    }
    const mu = Math.log(TRAFFIC.medianLatencyMs * this.latencyFactor)
    for (let i = 0; i < TRAFFIC.latencySamplesPerMinute / 2; i++) {
      this.pending.push(Math.exp(mu + TRAFFIC.latencySigma * standardNormal(this.random)))
    }
  }

  /** The sorted sample: new latencies are sorted and merged in from the back, in place. */
  get sortedLatency(): Float64Array {
    if (this.pending.length > 0) {
      const batch = Float64Array.from(this.pending).sort()
      this.pending = []
      let i = this.latencyCount - 1
      let j = batch.length - 1
      for (let k = this.latencyCount + batch.length - 1; j >= 0; k--) {
        if (i >= 0 && (this.latency[i] as number) > (batch[j] as number)) {
          this.latency[k] = this.latency[i--] as number
        } else {
          this.latency[k] = batch[j--] as number
        }
      }
      this.latencyCount += batch.length
    }
    return this.latency.subarray(0, this.latencyCount)
  }

  snapshot() {
    const minutes = this.partial === null ? this.minutes : [...this.minutes, this.partial]
    return { requests: this.requests, errors: this.errors, latencyMs: this.sortedLatency, minutes }
  }
}

// ---------------------------------------------------------------- the naive fixed-horizon rule

/** z with P(Z > z) = α, by bisection on the normal tail. */
function upperZ(alpha: number): number {
  let low = 0
  let high = 40
  for (let step = 0; step < 200; step++) {
    const middle = (low + high) / 2
    if (normalSf(middle) > alpha) low = middle
    else high = middle
  }
  return high
}

/**
 * The rollback rule a fixed-horizon analysis would use at each look, with the same hypotheses
 * and α split as the judge: a one-sided z-test of the log rate ratio against ln(1 + tolerance),
 * and binomial normal-approximation confidence bounds on each cohort's quantile.
 */
function naiveRollback(policy: Policy, baseline: CohortStream, canary: CohortStream): boolean {
  const rules =
    policy.metrics.filter((metric) => metric.critical).length + (policy.budget.guard ? 1 : 0)
  const alphaRollback = policy.alpha / rules
  for (const metric of policy.metrics) {
    if (!metric.critical || !('relative' in metric.tolerance)) continue
    const tolerance = metric.tolerance.relative
    if (metric.kind === 'error-rate') {
      const c = canary.errors + 0.5
      const b = baseline.errors + 0.5
      const logRatio = Math.log(c / canary.requests) - Math.log(b / baseline.requests)
      const z = (logRatio - Math.log1p(tolerance)) / Math.sqrt(1 / c + 1 / b)
      if (normalSf(z) < alphaRollback) return true
    } else if (metric.kind === 'latency') {
      const z = upperZ(alphaRollback / 2)
      const canaryLow = orderBound(canary.sortedLatency, metric.quantile, -z)
      const baselineHigh = orderBound(baseline.sortedLatency, metric.quantile, z)
      if (canaryLow !== null && baselineHigh !== null && canaryLow > (1 + tolerance) * baselineHigh)
        return true
    }
  }
  return false
}

/**
 * A Kayenta-style rule at each look: "High" when the canary is significantly worse at 98%
 * two-sided confidence, with no tolerance and no correction for repeated looks: Mann-Whitney
 * on the latency samples, a two-proportion z-test on the error rates. (Kayenta runs
 * Mann-Whitney over ~50 time buckets of a metric; request-level samples only give it more power.)
 */
function kayentaRollback(baseline: CohortStream, canary: CohortStream): boolean {
  const latency = mannWhitneyUSorted(canary.sortedLatency, baseline.sortedLatency)
  const latencyHigher =
    latency.statistic > (canary.sortedLatency.length * baseline.sortedLatency.length) / 2
  if (latencyHigher && latency.pValue < KAYENTA_ALPHA) return true
  const pc = canary.errors / canary.requests
  const pb = baseline.errors / baseline.requests
  const pooled = (canary.errors + baseline.errors) / (canary.requests + baseline.requests)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / canary.requests + 1 / baseline.requests))
  return se > 0 && 2 * normalSf((pc - pb) / se) < KAYENTA_ALPHA
}

/** Kayenta's default: 98% confidence, two-sided. */
const KAYENTA_ALPHA = 0.02

function orderBound(sorted: Float64Array, p: number, z: number): number | null {
  const n = sorted.length
  const rank = Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))
  return rank >= 1 && rank <= n ? (sorted[rank - 1] as number) : null
}

// ---------------------------------------------------------------- one canary

function simulateCanary(scenario: Scenario, policy: Policy, seed: number): Outcome {
  const random = createRandom(seed)
  const baseline = new CohortStream(random, TRAFFIC.baselinePerMinute, TRAFFIC.baseErrorRate, 1)
  const canary = new CohortStream(
    random,
    TRAFFIC.canaryPerMinute,
    TRAFFIC.baseErrorRate * scenario.errorFactor,
    scenario.latencyFactor,
  )
  let first: Outcome | null = null
  let everRollback = false
  let naiveEverRollback = false
  let kayentaEverRollback = false
  for (let half = 0, look = 1; look <= TRAFFIC.looks; half++) {
    baseline.addHalfMinute(half)
    canary.addHalfMinute(half)
    if (half !== 2 * look) continue
    const evaluatedAtMs = look * 60_000 + 30_000
    const verdict = judge({
      policy,
      baseline: { ok: true, data: baseline.snapshot() },
      canary: { ok: true, data: canary.snapshot() },
      startMs: 0,
      evaluatedAtMs,
    })
    everRollback ||= verdict.decision === 'rollback'
    if (scenario.pollAllLooks) {
      naiveEverRollback ||= naiveRollback(policy, baseline, canary)
      kayentaEverRollback ||= kayentaRollback(baseline, canary)
    }
    if (first === null && (verdict.decision !== 'continue' || look === TRAFFIC.looks)) {
      first = {
        first: verdict.decision,
        firstLook: look,
        canaryRequests: canary.requests,
        canaryLatencySamples: canary.sortedLatency.length,
        everRollback: false,
        naiveEverRollback: false,
        kayentaEverRollback: false,
      }
      if (!scenario.pollAllLooks) break
    }
    look++
  }
  if (first === null) throw new Error('unreachable: the last look always records an outcome')
  return { ...first, everRollback, naiveEverRollback, kayentaEverRollback }
}

function runRange(scenarioId: string, from: number, to: number, seed: number): Outcome[] {
  const scenario = SCENARIOS.find((candidate) => candidate.id === scenarioId)
  if (scenario === undefined) throw new Error(`unknown scenario ${scenarioId}`)
  const policy = parsePolicy(scenario.policy)
  const outcomes: Outcome[] = []
  for (let index = from; index < to; index++) {
    outcomes.push(simulateCanary(scenario, policy, hashSeed(seed, scenarioId, index)))
  }
  return outcomes
}

function hashSeed(seed: number, scenarioId: string, index: number): number {
  let h = seed ^ 0x811c9dc5
  for (const char of `${scenarioId}#${index}`) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193)
  return h >>> 0
}

// ---------------------------------------------------------------- reporting

/** Wilson score interval for a binomial proportion at 95%. */
function wilson(successes: number, n: number): [number, number] {
  const z = 1.959963984540054
  const p = successes / n
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n)
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

function rate(successes: number, n: number): string {
  const [low, high] = wilson(successes, n)
  const pct = (value: number): string => `${(value * 100).toFixed(2)}%`
  return `${pct(successes / n)} (${successes}/${n}; 95% CI ${pct(low)}–${pct(high)})`
}

function quartiles(values: readonly number[]): string {
  if (values.length === 0) return 'n/a'
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
  return `${at(0.5)} (IQR ${at(0.25)}–${at(0.75)})`
}

function report(scenario: Scenario, outcomes: readonly Outcome[], seconds: number): string {
  const n = outcomes.length
  const count = (predicate: (outcome: Outcome) => boolean): number =>
    outcomes.filter(predicate).length
  const firstIs = (decision: Decision) => outcomes.filter((outcome) => outcome.first === decision)
  const lines = [
    `### ${scenario.label}`,
    '',
    `${n} canaries, ${seconds.toFixed(0)} s of simulation.`,
    '',
  ]
  lines.push('| measure | value |', '|---|---|')
  if (scenario.pollAllLooks) {
    const anyLook = (label: string, flag: (o: Outcome) => boolean): string =>
      `| ${label} | ${rate(count(flag), n)} |`
    lines.push(
      anyLook(`rollback at any of the ${TRAFFIC.looks} looks (judge)`, (o) => o.everRollback),
      anyLook(
        'same, naive fixed-horizon rule with the same hypotheses',
        (o) => o.naiveEverRollback,
      ),
      anyLook('same, Kayenta-style rule (98%, no tolerance)', (o) => o.kayentaEverRollback),
    )
  }
  const promoted = firstIs('promote')
  const rolledBack = firstIs('rollback')
  lines.push(`| first decision rollback | ${rate(rolledBack.length, n)} |`)
  lines.push(`| first decision promote | ${rate(promoted.length, n)} |`)
  lines.push(`| inconclusive at maxDuration | ${rate(firstIs('inconclusive').length, n)} |`)
  if (promoted.length > 0) {
    lines.push(
      `| minutes to promote, median | ${quartiles(promoted.map((o) => o.firstLook + 0.5))} |`,
    )
    lines.push(
      `| canary requests at promote, median | ${quartiles(promoted.map((o) => o.canaryRequests))} |`,
    )
  }
  if (rolledBack.length > 0) {
    lines.push(
      `| minutes to rollback, median | ${quartiles(rolledBack.map((o) => o.firstLook + 0.5))} |`,
    )
    lines.push(
      `| canary requests at rollback, median | ${quartiles(rolledBack.map((o) => o.canaryRequests))} |`,
    )
    lines.push(
      `| canary latency samples at rollback, median | ${quartiles(rolledBack.map((o) => o.canaryLatencySamples))} |`,
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------- main and workers

function runInWorker(
  scenarioId: string,
  from: number,
  to: number,
  seed: number,
): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { scenarioId, from, to, seed },
    })
    worker.once('message', (outcomes: Outcome[]) => resolve(outcomes))
    worker.once('error', reject)
  })
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : Number(process.argv[index + 1])
}

async function main(): Promise<void> {
  const canaries = option('canaries', 1000)
  const workers = option('workers', Math.min(2, availableParallelism()))
  const seed = option('seed', 20261122)
  const sections: string[] = []
  for (const scenario of SCENARIOS) {
    const started = performance.now()
    const chunk = Math.ceil(canaries / Math.max(1, workers))
    // --workers 0 runs in this thread (for profiling).
    const parts =
      workers === 0
        ? [runRange(scenario.id, 0, canaries, seed)]
        : await Promise.all(
            Array.from({ length: workers }, (_, w) =>
              runInWorker(scenario.id, w * chunk, Math.min(canaries, (w + 1) * chunk), seed),
            ),
          )
    const section = report(scenario, parts.flat(), (performance.now() - started) / 1000)
    console.error(section, '\n')
    sections.push(section)
  }
  console.log(
    [
      `Traffic: baseline ${TRAFFIC.baselinePerMinute} and canary ${TRAFFIC.canaryPerMinute} requests/minute, ` +
        `base error rate ${TRAFFIC.baseErrorRate * 100}%, lognormal latency (median ${TRAFFIC.medianLatencyMs} ms, ` +
        `sigma ${TRAFFIC.latencySigma}), ${TRAFFIC.latencySamplesPerMinute} latencies sampled per cohort and minute; ` +
        `looks every minute at :30 for ${TRAFFIC.looks} minutes; seed ${seed}.`,
      '',
      ...sections.flatMap((section) => [section, '']),
    ].join('\n'),
  )
}

if (isMainThread) {
  await main()
} else {
  const { scenarioId, from, to, seed } = workerData as {
    scenarioId: string
    from: number
    to: number
    seed: number
  }
  parentPort?.postMessage(runRange(scenarioId, from, to, seed))
}
