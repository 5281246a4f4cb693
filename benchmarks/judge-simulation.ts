/**
 * Monte-Carlo simulation of the canary judge under continuous polling (issues 3 and 12).
 *
 * Each simulated canary runs for two hours of traffic and is judged every minute, 30 s into
 * the minute (120 looks, the last one past maxDuration), exactly as a rollout controller polls
 * the API: the judge sees cumulative data, including a half-filled current minute. Real
 * traffic is not independent trials, so the scenarios add noise that hits one cohort only
 * (issue 12): the error rate times Gamma noise of a given CV per cohort and half-minute, and
 * latencies times exp(sd·Z) per cohort and half-minute (a GC pause, a noisy neighbour, a cold
 * cache on the canary's pod and not on the baseline's).
 *
 *   node benchmarks/judge-simulation.ts [--canaries 1000] [--workers 2] [--seed 20261122] [--only id,id]
 *
 * Prints a Markdown report (the judge section of RESULTS.md is made from it) with 95% Wilson
 * intervals, the wall time and the process CPU time (all threads, from process.cpuUsage).
 * Randomness is a seeded xoshiro128** generator per canary, so results do not depend on the
 * number of workers.
 */
import { availableParallelism, loadavg } from 'node:os'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { judge, parsePolicy, type Decision, type Policy } from '../src/analysis/index.ts'

const LOOKS = 120
const LATENCY_SAMPLES_PER_MINUTE = 250
const MEDIAN_LATENCY_MS = 100
/** Lognormal shape: p95 ≈ 2.7× and p99 ≈ 4× the median. */
const LATENCY_SIGMA = 0.6

/**
 * The simulation's policy: the default policy's critical metrics (error rate, latency p95) and
 * budget guard, α = 1% split over the three rollback rules as in the default policy. The
 * non-critical p50/p99 rules never roll back, so they are left out to halve the run time. The
 * SLO is 99%, so a 1% error rate burns the budget at 1× and the guard stays quiet.
 */
const DEFAULT_TOLERANCES = {
  slo: { availability: 0.99 },
  metrics: [
    { name: 'error-rate', kind: 'error-rate' },
    { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: { relative: 0.1 } },
  ],
}
/** Every rule at its null boundary: no tolerance, no floor. */
const ZERO_TOLERANCE = {
  slo: { availability: 0.99 },
  metrics: [
    { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0, absolute: 0 } },
    { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: { relative: 0 } },
  ],
}

interface Scenario {
  readonly id: string
  readonly label: string
  readonly policy: unknown
  /** Requests per minute of both cohorts together. */
  readonly perMinute: number
  /** The canary's share of requests: fixed, or ramping linearly from the first to the second. */
  readonly canaryShare: number | readonly [number, number]
  /** The base error rate: fixed, or drifting linearly (the same for both cohorts). */
  readonly baseErrorRate: number | readonly [number, number]
  readonly errorFactor: number
  readonly latencyFactor: number
  /** CV of the Gamma noise on each cohort's error rate per half-minute (0: none). */
  readonly errorNoiseCv: number
  /** sd of the log-normal shock on each cohort's latencies per half-minute (0: none). */
  readonly latencyShockSd: number
  /** A/A: poll every look and count rollbacks at any of them. A/B: stop at the first decision. */
  readonly aa: boolean
}

const AA = { policy: ZERO_TOLERANCE, errorFactor: 1, latencyFactor: 1, aa: true } as const
const TRAFFIC = { perMinute: 5000, canaryShare: 0.2, baseErrorRate: 0.01 } as const
const QUIET = { errorNoiseCv: 0, latencyShockSd: 0 } as const

const SCENARIOS: readonly Scenario[] = [
  { id: 'aa', label: 'independent requests', ...AA, ...TRAFFIC, ...QUIET },
  { id: 'aa-cv0.3', label: 'error noise CV 0.3', ...AA, ...TRAFFIC, ...QUIET, errorNoiseCv: 0.3 },
  { id: 'aa-cv1', label: 'error noise CV 1.0', ...AA, ...TRAFFIC, ...QUIET, errorNoiseCv: 1 },
  {
    id: 'aa-shock0.2',
    label: 'latency shocks log-sd 0.2',
    ...AA,
    ...TRAFFIC,
    ...QUIET,
    latencyShockSd: 0.2,
  },
  {
    id: 'aa-shock0.5',
    label: 'latency shocks log-sd 0.5',
    ...AA,
    ...TRAFFIC,
    ...QUIET,
    latencyShockSd: 0.5,
  },
  { id: 'aa-5pct', label: '5% canary', ...AA, ...TRAFFIC, ...QUIET, canaryShare: 0.05 },
  {
    id: 'aa-ramp',
    label: 'ramping split 5% → 50%, base errors 0.5% → 2%',
    ...AA,
    ...TRAFFIC,
    ...QUIET,
    canaryShare: [0.05, 0.5],
    baseErrorRate: [0.005, 0.02],
  },
  { id: 'aa-0.1pct', label: '0.1% base errors', ...AA, ...TRAFFIC, ...QUIET, baseErrorRate: 0.001 },
  {
    id: 'aa-default',
    label: 'A/A, default tolerances (promotion)',
    ...AA,
    policy: DEFAULT_TOLERANCES,
    ...TRAFFIC,
    ...QUIET,
  },
  {
    id: 'errors-2x',
    label: 'error rate 2× (1% → 2%), independent requests',
    policy: DEFAULT_TOLERANCES,
    ...TRAFFIC,
    ...QUIET,
    errorFactor: 2,
    latencyFactor: 1,
    aa: false,
  },
  {
    id: 'errors-2x-cv0.3',
    label: 'error rate 2×, error noise CV 0.3',
    policy: DEFAULT_TOLERANCES,
    ...TRAFFIC,
    ...QUIET,
    errorNoiseCv: 0.3,
    errorFactor: 2,
    latencyFactor: 1,
    aa: false,
  },
  {
    id: 'latency-1.3',
    label: 'latency ×1.3 (p95 +30%), independent samples',
    policy: DEFAULT_TOLERANCES,
    ...TRAFFIC,
    ...QUIET,
    errorFactor: 1,
    latencyFactor: 1.3,
    aa: false,
  },
]

interface Outcome {
  /** The first decision other than `continue` (or `continue` if none by the last look). */
  readonly first: Decision
  readonly firstLook: number
  readonly everRollback: boolean
  /** The rule that rolled back first (metric name and rule), if any. */
  readonly rollbackBy: string | null
  /** Verdicts computed for this canary (for the CPU time per verdict). */
  readonly verdicts: number
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

/** Gamma(shape, 1/shape): mean 1, CV 1/√shape (Marsaglia & Tsang 2000; boosted below shape 1). */
function gammaNoise(random: () => number, cv: number): number {
  if (cv === 0) return 1
  const shape = 1 / (cv * cv)
  return gammaUnitScale(random, shape) / shape
}

function gammaUnitScale(random: () => number, shape: number): number {
  if (shape < 1) return gammaUnitScale(random, shape + 1) * random() ** (1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    const x = standardNormal(random)
    const v = (1 + c * x) ** 3
    if (v <= 0) continue
    const u = random()
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

// ---------------------------------------------------------------- one cohort's growing data

interface Minute {
  startMs: number
  requests: number
  errors: number
  latencyMs: Float64Array
}

class CohortStream {
  requests = 0
  errors = 0
  private readonly minutes: Minute[] = []
  private partial: Minute | null = null
  private readonly random: () => number
  /** Every latency so far, ascending: new minutes are merged in from the back, in place. */
  private flat = new Float64Array(LATENCY_SAMPLES_PER_MINUTE * (LOOKS + 2))
  private flatCount = 0

  constructor(random: () => number) {
    this.random = random
  }

  /**
   * Adds half a minute of traffic: the first half opens the minute, the second completes it.
   * `shock` multiplies every latency of the half-minute, `noise` its error rate.
   */
  addHalfMinute(
    half: number,
    requests: number,
    errorRate: number,
    latency: { factor: number; shock: number; noise: number },
  ): void {
    const minute = Math.floor(half / 2)
    const errors = binomial(this.random, requests, Math.min(1, errorRate * latency.noise))
    this.requests += requests
    this.errors += errors
    const samples = Math.min(requests, LATENCY_SAMPLES_PER_MINUTE / 2)
    const mu = Math.log(MEDIAN_LATENCY_MS * latency.factor * latency.shock)
    const latencyMs = new Float64Array(samples)
    for (let i = 0; i < samples; i++)
      latencyMs[i] = Math.exp(mu + LATENCY_SIGMA * standardNormal(this.random))
    if (half % 2 === 0) {
      this.partial = { startMs: minute * 60_000, requests, errors, latencyMs }
    } else if (this.partial !== null) {
      const both = new Float64Array(this.partial.latencyMs.length + latencyMs.length)
      both.set(this.partial.latencyMs)
      both.set(latencyMs, this.partial.latencyMs.length)
      this.minutes.push({
        startMs: this.partial.startMs,
        requests: this.partial.requests + requests,
        errors: this.partial.errors + errors,
        latencyMs: both.sort(),
      })
      this.merge(both)
      this.partial = null
    }
  }

  private merge(batch: Float64Array): void {
    let i = this.flatCount - 1
    let j = batch.length - 1
    for (let k = this.flatCount + batch.length - 1; j >= 0; k--) {
      if (i >= 0 && (this.flat[i] as number) > (batch[j] as number)) {
        this.flat[k] = this.flat[i--] as number
      } else {
        this.flat[k] = batch[j--] as number
      }
    }
    this.flatCount += batch.length
  }

  /** Complete minutes carry their latency sample; the half-filled minute only counts. */
  snapshot() {
    const minutes: {
      startMs: number
      requests: number
      errors: number
      latencyMs?: Float64Array
    }[] = [...this.minutes]
    if (this.partial !== null) {
      minutes.push({
        startMs: this.partial.startMs,
        requests: this.partial.requests,
        errors: this.partial.errors,
      })
    }
    return {
      requests: this.requests,
      errors: this.errors,
      latencyMs: this.flat.subarray(0, this.flatCount),
      minutes,
    }
  }
}

// ---------------------------------------------------------------- one canary

function at(value: number | readonly [number, number], minute: number): number {
  if (typeof value === 'number') return value
  return value[0] + ((value[1] - value[0]) * minute) / LOOKS
}

function simulateCanary(scenario: Scenario, policy: Policy, seed: number): Outcome {
  const random = createRandom(seed)
  const baseline = new CohortStream(random)
  const canary = new CohortStream(random)
  let first: Outcome | null = null
  let everRollback = false
  let rollbackBy: string | null = null
  let verdicts = 0
  for (let half = 0, look = 1; look <= LOOKS; half++) {
    const minute = half / 2
    const share = at(scenario.canaryShare, minute)
    const rate = at(scenario.baseErrorRate, minute)
    const perHalf = scenario.perMinute / 2
    const canaryRequests = Math.round(perHalf * share)
    const cohortNoise = (factor: number) => ({
      factor,
      shock:
        scenario.latencyShockSd === 0
          ? 1
          : Math.exp(scenario.latencyShockSd * standardNormal(random)),
      noise: gammaNoise(random, scenario.errorNoiseCv),
    })
    baseline.addHalfMinute(half, perHalf - canaryRequests, rate, cohortNoise(1))
    canary.addHalfMinute(
      half,
      canaryRequests,
      rate * scenario.errorFactor,
      cohortNoise(scenario.latencyFactor),
    )
    if (half !== 2 * look) continue
    const verdict = judge({
      policy,
      baseline: { ok: true, data: baseline.snapshot() },
      canary: { ok: true, data: canary.snapshot() },
      startMs: 0,
      evaluatedAtMs: look * 60_000 + 30_000,
      ingestLagMs: 30_000,
    })
    verdicts++
    if (verdict.decision === 'rollback' && !everRollback) {
      everRollback = true
      const worse = verdict.metrics.find((metric) => metric.decision === 'worse' && metric.critical)
      rollbackBy =
        worse === undefined ? 'budget guard' : `${worse.name}: ${worse.decidedBy ?? worse.test}`
    }
    if (first === null && (verdict.decision !== 'continue' || look === LOOKS)) {
      first = {
        first: verdict.decision,
        firstLook: look,
        everRollback: false,
        rollbackBy: null,
        verdicts: 0,
      }
      if (!scenario.aa) break
    }
    // A/A: a rollback at any look is what is counted; nothing after it changes that.
    if (scenario.aa && everRollback && first !== null) break
    look++
  }
  if (first === null) throw new Error('unreachable: the last look always records an outcome')
  return { ...first, everRollback, rollbackBy, verdicts }
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

/** Median with a 95% distribution-free interval (order statistics n/2 ± 0.98√n) and the IQR. */
function median(values: readonly number[]): string {
  if (values.length === 0) return 'n/a'
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  const pick = (rank: number): number =>
    sorted[Math.min(n - 1, Math.max(0, Math.round(rank)))] as number
  const spread = 0.98 * Math.sqrt(n)
  return `${pick(n / 2)} (95% CI ${pick(n / 2 - spread)}–${pick(n / 2 + spread)}; IQR ${pick(n / 4)}–${pick((3 * n) / 4)})`
}

function report(scenario: Scenario, outcomes: readonly Outcome[]): string {
  const n = outcomes.length
  const firstIs = (decision: Decision) => outcomes.filter((outcome) => outcome.first === decision)
  const minutes = (list: readonly Outcome[]) => list.map((o) => o.firstLook + 0.5)
  if (scenario.aa) {
    const rolled = outcomes.filter((o) => o.everRollback)
    const by = new Map<string, number>()
    for (const o of rolled) by.set(o.rollbackBy ?? '?', (by.get(o.rollbackBy ?? '?') ?? 0) + 1)
    const promoted = firstIs('promote')
    return `| ${scenario.label} | ${rate(rolled.length, n)} | ${rate(promoted.length, n)} | ${promoted.length > 0 ? median(minutes(promoted)) : '–'} | ${[...by].map(([rule, count]) => `${count}× ${rule}`).join('; ') || '–'} |`
  }
  const rolledBack = firstIs('rollback')
  return `| ${scenario.label} | ${rate(rolledBack.length, n)} | ${firstIs('promote').length} | ${median(minutes(rolledBack))} |`
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

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback)
}

async function main(): Promise<void> {
  const canaries = Number(option('canaries', '1000'))
  const workers = Number(option('workers', String(Math.min(2, availableParallelism()))))
  const seed = Number(option('seed', '20261122'))
  const only = option('only', '')
  const chosen = SCENARIOS.filter((s) => only === '' || only.split(',').includes(s.id))
  const aaRows: string[] = []
  const abRows: string[] = []
  const timings: string[] = []
  for (const scenario of chosen) {
    const wallStart = performance.now()
    const cpuStart = process.cpuUsage()
    const loadStart = loadavg()[0] ?? 0
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
    const cpu = process.cpuUsage(cpuStart)
    const outcomes = parts.flat()
    const row = report(scenario, outcomes)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    const verdicts = outcomes.reduce((total, outcome) => total + outcome.verdicts, 0)
    const timing = `| ${scenario.id} | ${verdicts} | ${((performance.now() - wallStart) / 1000).toFixed(0)} s | ${cpuSeconds.toFixed(0)} s | ${((cpuSeconds / verdicts) * 1000).toFixed(2)} ms | ${loadStart.toFixed(1)}–${(loadavg()[0] ?? 0).toFixed(1)} |`
    console.error(row, '\n', timing)
    ;(scenario.aa ? aaRows : abRows).push(row)
    timings.push(timing)
  }
  console.log(
    [
      `Seed ${seed}, ${canaries} canaries per row, ${LOOKS} looks, ${workers} worker threads.`,
      '',
      '| A/A scenario | rollback at any look | promoted | minutes to promote, median | rolled back by |',
      '|---|---|---|---|---|',
      ...aaRows,
      '',
      '| A/B scenario | detected (first decision rollback) | promoted | minutes to rollback, median |',
      '|---|---|---|---|',
      ...abRows,
      '',
      '| row | verdicts | wall | CPU (all threads) | CPU per verdict | load average (1 min, start–end) |',
      '|---|---|---|---|---|---|',
      ...timings,
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
