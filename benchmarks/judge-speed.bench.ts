/**
 * Canary judge speed: a full verdict on cohorts with per-minute latency samples (what the
 * store hands the judge) and on two flat samples of 100,000 latencies each (the pooled
 * fallback), the error-rate rules on their own, one sequential t e-value, and the
 * fixed-horizon building blocks. Beside tinybench's wall times it reports the process CPU time
 * per verdict (all threads, process.cpuUsage), which moves far less with the neighbours' load.
 *
 *   cd /work/main && export PATH=$PWD/node_modules/.bin:$PATH && node benchmarks/judge-speed.bench.ts
 *
 * Results are recorded in benchmarks/RESULTS.md under "Canary judge (issues 3 and 12)".
 */
import os from 'node:os'
import { Bench } from 'tinybench'
import {
  judge,
  mannWhitneyU,
  parsePolicy,
  welchTTest,
  type CohortSnapshot,
  type JudgeInput,
} from '../src/analysis/index.ts'
import { logRateRatioEValue, toRateRatioData } from '../src/analysis/sequential/rate-ratio.ts'
import { logSequentialTEValue } from '../src/analysis/sequential/sequential-t.ts'
import { createRandom } from '../src/simulate/seeded-random.ts'

const SAMPLES = 100_000
const MINUTES = 120
/** What the verdict service asks the store for: 30,000 latencies over a 2 h analysis. */
const SAMPLES_PER_MINUTE = 250

/**
 * A cohort as the store returns it: latencies in hash order (unsorted), per-minute counts whose
 * traffic varies from minute to minute, so that every minute has its own canary share.
 */
function cohort(random: () => number, perMinute: number, errorRate: number): CohortSnapshot {
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const latencyMs = Array.from(
    { length: SAMPLES },
    () => Math.round(100 * Math.exp(0.6 * normal()) * 10) / 10,
  )
  const minutes = Array.from({ length: MINUTES }, (_, i) => {
    const requests = Math.round(perMinute * (0.8 + 0.4 * random()))
    return {
      startMs: i * 60_000,
      requests,
      errors: Math.round(requests * errorRate * (0.5 + random())),
    }
  })
  return {
    requests: minutes.reduce((sum, minute) => sum + minute.requests, 0),
    errors: minutes.reduce((sum, minute) => sum + minute.errors, 0),
    latencyMs,
    minutes,
  }
}

const random = createRandom(3)
const baseline = cohort(random, 4000, 0.01)
const canary = cohort(random, 1000, 0.01)
// The default policy with an SLO the 1% error rate does not burn, so verdicts stay `continue`
// and every explanatory number (bounds, p-values, time to decision) is computed.
const input: JudgeInput = {
  policy: parsePolicy({ slo: { availability: 0.99 } }),
  baseline: { ok: true, data: baseline },
  canary: { ok: true, data: canary },
  startMs: 0,
  evaluatedAtMs: MINUTES * 60_000 - 30_000,
}
const errorRateOnly: JudgeInput = {
  ...input,
  policy: parsePolicy({
    slo: { availability: 0.99 },
    metrics: [{ name: 'error-rate', kind: 'error-rate' }],
  }),
}
const blocks = baseline.minutes.map((minute, i) => ({
  baselineRequests: minute.requests,
  baselineErrors: minute.errors,
  canaryRequests: canary.minutes[i]?.requests ?? 0,
  canaryErrors: canary.minutes[i]?.errors ?? 0,
}))
const sortedBaseline = Float64Array.from(baseline.latencyMs).sort()
const sortedCanary = Float64Array.from(canary.latencyMs).sort()
const presorted: JudgeInput = {
  ...input,
  baseline: { ok: true, data: { ...baseline, latencyMs: sortedBaseline } },
  canary: { ok: true, data: { ...canary, latencyMs: sortedCanary } },
}

/** The same analysis 20 minutes in: a `continue` verdict, which also estimates the time to a decision. */
function early(judged: JudgeInput): JudgeInput {
  const cut = (result: JudgeInput['baseline']): JudgeInput['baseline'] => {
    if (!result.ok) return result
    const minutes = result.data.minutes.slice(0, EARLY_MINUTES)
    const sum = (key: 'requests' | 'errors'): number =>
      minutes.reduce((total, m) => total + m[key], 0)
    return {
      ok: true,
      data: { ...result.data, minutes, requests: sum('requests'), errors: sum('errors') },
    }
  }
  return {
    ...judged,
    baseline: cut(judged.baseline),
    canary: cut(judged.canary),
    evaluatedAtMs: EARLY_MINUTES * 60_000 + 30_000,
  }
}

/** The cohort with a latency sample per minute instead of one flat sample. */
function perMinute(result: JudgeInput['baseline'], random: () => number): JudgeInput['baseline'] {
  if (!result.ok) return result
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const minutes = result.data.minutes.map((minute) => ({
    ...minute,
    latencyMs: Array.from(
      { length: SAMPLES_PER_MINUTE },
      () => Math.round(100 * Math.exp(0.6 * normal()) * 10) / 10,
    ),
  }))
  return { ok: true, data: { ...result.data, latencyMs: [], minutes } }
}
const minuteRandom = createRandom(4)
const perMinuteInput: JudgeInput = {
  ...input,
  baseline: perMinute(input.baseline, minuteRandom),
  canary: perMinute(input.canary, minuteRandom),
}
const units = blocks.map(
  (block) =>
    block.canaryErrors / block.canaryRequests - block.baselineErrors / block.baselineRequests,
)

const EARLY_MINUTES = 20
const cases: readonly (readonly [string, JudgeInput])[] = [
  [
    `judge: default policy, ${SAMPLES_PER_MINUTE} latencies per minute and cohort, ${MINUTES} minutes, promote`,
    perMinuteInput,
  ],
  [
    `judge: default policy, ${SAMPLES_PER_MINUTE} latencies per minute and cohort, continue at 20 min`,
    early(perMinuteInput),
  ],
  ['judge: default policy, 2 x 100k latency samples (unsorted), promote at 2 h', input],
  ['judge: default policy, 2 x 100k latency samples (sorted), promote at 2 h', presorted],
  ['judge: default policy, 2 x 100k latency samples (unsorted), continue at 20 min', early(input)],
  [
    'judge: default policy, 2 x 100k latency samples (sorted), continue at 20 min',
    early(presorted),
  ],
  [`judge: error-rate rule only, ${MINUTES} minutes of varying split, promote`, errorRateOnly],
  [
    `judge: error-rate rule only, ${EARLY_MINUTES} minutes of varying split, continue`,
    early(errorRateOnly),
  ],
]

const bench = new Bench({ name: 'judge-speed', time: 3_000, warmupTime: 500 })
for (const [name, judged] of cases) {
  bench.add(name, () => {
    judge(judged)
  })
}
bench
  .add(`sequential t e-value, ${MINUTES} units (one evaluation)`, () => {
    logSequentialTEValue(units, 'upper')
  })
  .add(`rate-ratio e-value, ${MINUTES} minutes (one evaluation)`, () => {
    logRateRatioEValue(toRateRatioData(blocks), 1.25, 'upper')
  })
  .add('mannWhitneyU, 100k vs 100k (unsorted)', () => {
    mannWhitneyU(baseline.latencyMs as number[], canary.latencyMs as number[])
  })
  .add('welchTTest, 100k vs 100k', () => {
    welchTTest(baseline.latencyMs as number[], canary.latencyMs as number[])
  })

await bench.run()

/** Process CPU time (all threads) per verdict over at least a second of repeated verdicts. */
function cpuMsPerVerdict(judged: JudgeInput): number {
  const start = process.cpuUsage()
  const wallStart = performance.now()
  let count = 0
  while (performance.now() - wallStart < 1_000 || count < 5) {
    judge(judged)
    count++
  }
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000 / count
}

const cpu = new Map(cases.map(([name, judged]) => [name, cpuMsPerVerdict(judged)]))
for (const [name, judged] of cases) console.log(`${name}: ${judge(judged).decision}`)

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load ${os.loadavg()[0]?.toFixed(1)}`,
)
console.table(
  bench.tasks.map((task) => {
    const result = task.result
    if (result.state !== 'completed') return { task: task.name, state: result.state }
    const { mean, p50, p99, samplesCount } = result.latency
    return {
      task: task.name,
      'ms (median)': p50.toFixed(3),
      'ms (mean)': mean.toFixed(3),
      'ms (p99)': p99.toFixed(3),
      'CPU ms per verdict': cpu.get(task.name)?.toFixed(3) ?? '',
      samples: samplesCount,
    }
  }),
)
