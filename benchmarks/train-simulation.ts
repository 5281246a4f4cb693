/**
 * Monte-Carlo simulation of release trains under continuous polling (issue 15): is the train's
 * one α kept when several services' canaries are judged together, polled every minute?
 *
 * Each simulated train has two members (two services, each its own baseline and canary, each
 * the issue-12 simulation's traffic: 5,000 requests a minute, a 20% canary, 1% errors,
 * log-normal latencies of median 100 ms). It is judged every minute for an hour (60 looks) by
 * `judgeTrain`, exactly as a controller polling `/api/v1/trains/{id}/verdict` would see it,
 * complete minutes only. A/A rows count a rollback at any look; the A/B row stops at the first
 * decision other than continue.
 *
 *   node benchmarks/train-simulation.ts [--trains 500] [--seed 20261126] [--only id,id]
 *
 * Prints a Markdown report with 95% Wilson intervals, the wall time, the process CPU time
 * (all threads) and the load average. Randomness is the project's seeded generator per train.
 */
import { loadavg } from 'node:os'
import {
  judgeTrain,
  parsePolicy,
  type CohortResult,
  type Decision,
  type MinuteCounts,
  type Policy,
} from '../src/analysis/index.ts'
import { createRandom } from '../src/simulate/seeded-random.ts'

const LOOKS = 60
const PER_MINUTE = 5_000
const CANARY_SHARE = 0.2
const BASE_ERROR_RATE = 0.01
const LATENCY_SAMPLES_PER_MINUTE = 250
const MEDIAN_LATENCY_MS = 100
const LATENCY_SIGMA = 0.6
const MINUTE_MS = 60_000

const ZERO_TOLERANCE = {
  alpha: 0.01,
  analysis: { minDurationSeconds: 600, maxDurationSeconds: 7200 },
  slo: { availability: 0.99 },
  metrics: [
    { name: 'error-rate', kind: 'error-rate', tolerance: { relative: 0, absolute: 0 } },
    { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: { relative: 0 } },
  ],
}
const DEFAULT_TOLERANCES = {
  alpha: 0.01,
  analysis: { minDurationSeconds: 600, maxDurationSeconds: 7200 },
  slo: { availability: 0.99 },
  metrics: [
    { name: 'error-rate', kind: 'error-rate' },
    { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: { relative: 0.1 } },
  ],
}

interface Scenario {
  readonly id: string
  readonly label: string
  readonly policy: unknown
  /** Each member's canary error rate as a multiple of its baseline's. */
  readonly errorFactors: readonly [number, number]
  readonly aa: boolean
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'aa-zero',
    label: 'A/A train of 2, zero tolerance',
    policy: ZERO_TOLERANCE,
    errorFactors: [1, 1],
    aa: true,
  },
  {
    id: 'aa-default',
    label: 'A/A train of 2, default tolerances',
    policy: DEFAULT_TOLERANCES,
    errorFactors: [1, 1],
    aa: true,
  },
  {
    id: 'member2-errors-2x',
    label: 'member 2 errors 2× (1% → 2%), member 1 healthy',
    policy: DEFAULT_TOLERANCES,
    errorFactors: [1, 2],
    aa: false,
  },
]

/** Binomial(n, p) by inversion (expected steps ≈ np). */
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

class Cohort {
  private readonly minutes: MinuteCounts[] = []
  private requests = 0
  private errors = 0
  private latencies: number[] = []

  addMinute(random: () => number, minute: number, requests: number, errorRate: number): void {
    const errors = binomial(random, requests, errorRate)
    const latencyMs = Array.from({ length: LATENCY_SAMPLES_PER_MINUTE }, () =>
      Math.exp(Math.log(MEDIAN_LATENCY_MS) + LATENCY_SIGMA * standardNormal(random)),
    ).sort((a, b) => a - b)
    this.minutes.push({ startMs: minute * MINUTE_MS, requests, errors, latencyMs })
    this.requests += requests
    this.errors += errors
    this.latencies = this.latencies.concat(latencyMs)
  }

  result(): CohortResult {
    return {
      ok: true,
      data: {
        requests: this.requests,
        errors: this.errors,
        latencyMs: this.latencies,
        minutes: [...this.minutes],
      },
    }
  }
}

interface Outcome {
  readonly first: Decision
  readonly firstLook: number
  readonly everRollback: boolean
  readonly causes: string
  readonly verdicts: number
}

function simulateTrain(scenario: Scenario, policy: Policy, seed: number): Outcome {
  const random = createRandom(seed)
  const members = scenario.errorFactors.map((factor) => ({
    factor,
    baseline: new Cohort(),
    canary: new Cohort(),
  }))
  let first: { decision: Decision; look: number } | undefined
  let everRollback = false
  let causes = ''
  let verdicts = 0
  for (let look = 1; look <= LOOKS; look++) {
    const canaryRequests = Math.round(PER_MINUTE * CANARY_SHARE)
    for (const member of members) {
      member.baseline.addMinute(random, look - 1, PER_MINUTE - canaryRequests, BASE_ERROR_RATE)
      member.canary.addMinute(random, look - 1, canaryRequests, BASE_ERROR_RATE * member.factor)
    }
    const verdict = judgeTrain({
      alpha: policy.alpha,
      evaluatedAtMs: look * MINUTE_MS + 30_000,
      ingestLagMs: 30_000,
      members: members.map((member, index) => ({
        name: `service-${index + 1}`,
        policy,
        baseline: member.baseline.result(),
        canary: member.canary.result(),
        startMs: 0,
      })),
    })
    verdicts++
    if (verdict.decision === 'rollback' && !everRollback) {
      everRollback = true
      causes = verdict.causes.map((cause) => `${cause.member} ${cause.metric}`).join(', ')
    }
    if (first === undefined && (verdict.decision !== 'continue' || look === LOOKS)) {
      first = { decision: verdict.decision, look }
      if (!scenario.aa) break
    }
    if (scenario.aa && everRollback) break
  }
  if (first === undefined) first = { decision: 'continue', look: LOOKS }
  return { first: first.decision, firstLook: first.look, everRollback, causes, verdicts }
}

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

function medianOf(values: readonly number[]): string {
  if (values.length === 0) return '–'
  const sorted = [...values].sort((a, b) => a - b)
  return String(sorted[Math.floor(sorted.length / 2)])
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback)
}

function main(): void {
  const trains = Number(option('trains', '500'))
  const seed = Number(option('seed', '20261126'))
  const only = option('only', '')
  const rows: string[] = []
  const timings: string[] = []
  for (const scenario of SCENARIOS.filter((s) => only === '' || only.split(',').includes(s.id))) {
    const policy = parsePolicy(scenario.policy)
    const wallStart = performance.now()
    const cpuStart = process.cpuUsage()
    const loadStart = loadavg()[0] ?? 0
    const outcomes = Array.from({ length: trains }, (_, index) =>
      simulateTrain(scenario, policy, (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0),
    )
    const cpu = process.cpuUsage(cpuStart)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    const verdicts = outcomes.reduce((sum, outcome) => sum + outcome.verdicts, 0)
    const rolled = outcomes.filter((outcome) => outcome.everRollback)
    const firstRollback = outcomes.filter((outcome) => outcome.first === 'rollback')
    const promoted = outcomes.filter((outcome) => outcome.first === 'promote')
    const causes = new Map<string, number>()
    for (const outcome of scenario.aa ? rolled : firstRollback)
      causes.set(outcome.causes, (causes.get(outcome.causes) ?? 0) + 1)
    const byCause = [...causes].map(([cause, count]) => `${count}× ${cause}`).join('; ') || '–'
    rows.push(
      scenario.aa
        ? `| ${scenario.label} | ${rate(rolled.length, trains)} | ${rate(promoted.length, trains)} | ${medianOf(promoted.map((o) => o.firstLook))} | ${byCause} |`
        : `| ${scenario.label} | ${rate(firstRollback.length, trains)} (first decision) | ${rate(promoted.length, trains)} | ${medianOf(firstRollback.map((o) => o.firstLook))} (to rollback) | ${byCause} |`,
    )
    timings.push(
      `| ${scenario.id} | ${verdicts} | ${((performance.now() - wallStart) / 1000).toFixed(0)} s | ${cpuSeconds.toFixed(0)} s | ${((cpuSeconds / verdicts) * 1000).toFixed(2)} ms | ${loadStart.toFixed(1)}–${(loadavg()[0] ?? 0).toFixed(1)} |`,
    )
    console.error(rows.at(-1), '\n', timings.at(-1))
  }
  console.log(
    [
      `Seed ${seed}, ${trains} trains of 2 members per row, ${LOOKS} looks (one a minute), one thread.`,
      '',
      '| scenario | rollback at any look (A/A) / detected | promoted (first decision) | minutes to decision, median | rolled back by |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      '| row | train verdicts | wall | CPU (all threads) | CPU per train verdict | load average (1 min, start–end) |',
      '|---|---|---|---|---|---|',
      ...timings,
    ].join('\n'),
  )
}

main()
