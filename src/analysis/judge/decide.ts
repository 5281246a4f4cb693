import type { Policy } from '../policy/policy-types.ts'
import { formatDuration, formatNumber } from './format.ts'
import type {
  BudgetReport,
  BurnWindowReport,
  Decision,
  Missing,
  SampleRatioReport,
} from './judge-types.ts'
import type { MetricEvaluation } from './metric-context.ts'

export interface DecideInput {
  readonly policy: Policy
  readonly elapsedSeconds: number
  readonly evaluations: readonly MetricEvaluation[]
  readonly budget: BudgetReport
  readonly sampleRatio: SampleRatioReport | null
  readonly failures: readonly { readonly cohort: 'baseline' | 'canary'; readonly error: string }[]
}

export interface Decided {
  readonly decision: Decision
  readonly reasons: readonly string[]
  readonly missing: readonly Missing[]
  readonly estimatedSecondsToDecision: number | null
}

/**
 * The verdict from the metric results: `rollback` when a critical metric is worse beyond its
 * tolerance or the budget guard trips; `promote` when every metric is non-inferior with its
 * samples, after minDuration, with both cohorts' data, no sample-ratio mismatch and the canary
 * not burning its budget fast; `inconclusive` at maxDuration otherwise; `continue` before.
 */
export function decide(input: DecideInput): Decided {
  const { policy, elapsedSeconds, evaluations, budget } = input
  const results = evaluations.map((evaluation) => evaluation.result)
  const worse = results.filter((result) => result.critical && result.decision === 'worse')
  const tripped = budget.windows.filter((window) => window.tripped)
  if (worse.length > 0 || tripped.length > 0) {
    return {
      decision: 'rollback',
      reasons: [...worse.map((result) => result.sentence), ...tripped.map(describeTrip)],
      missing: [],
      estimatedSecondsToDecision: null,
    }
  }
  const blockers = findBlockers(input)
  const { minDurationSeconds, maxDurationSeconds } = policy.analysis
  if (blockers.reasons.length === 0) {
    return {
      decision: 'promote',
      reasons: [
        `every metric is within its tolerance after ${formatDuration(elapsedSeconds)} (minimum ${formatDuration(minDurationSeconds)}), with at most ${formatNumber(policy.alpha)} chance of promoting a canary that is worse beyond a tolerance`,
        ...results.map((result) => result.sentence),
      ],
      missing: [],
      estimatedSecondsToDecision: null,
    }
  }
  if (elapsedSeconds >= maxDurationSeconds) {
    return {
      decision: 'inconclusive',
      reasons: [
        `the analysis reached its maximum duration of ${formatDuration(maxDurationSeconds)} without enough evidence to promote or roll back; a human decides`,
        ...blockers.reasons,
      ],
      missing: blockers.missing,
      estimatedSecondsToDecision: null,
    }
  }
  const estimate = estimateSecondsToDecision(input, blockers.promotable)
  return {
    decision: 'continue',
    reasons: [
      ...blockers.reasons,
      `a decision is expected in about ${formatDuration(estimate)} at the current traffic`,
    ],
    missing: blockers.missing,
    estimatedSecondsToDecision: estimate,
  }
}

interface Blockers {
  readonly reasons: string[]
  readonly missing: Missing[]
  /** False when something other than evidence and time stands in the way of promotion. */
  readonly promotable: boolean
}

/** Everything standing between the current state and a promotion. */
function findBlockers(input: DecideInput): Blockers {
  const { policy, elapsedSeconds, evaluations, budget, sampleRatio } = input
  const reasons: string[] = []
  const missing: Missing[] = []
  let promotable = true
  for (const failure of input.failures) {
    reasons.push(`the ${failure.cohort} query failed (${failure.error}); no promotion without data`)
    missing.push({ kind: 'data', cohort: failure.cohort, error: failure.error })
  }
  const minDuration = policy.analysis.minDurationSeconds
  if (elapsedSeconds < minDuration) {
    reasons.push(
      `the analysis has run ${formatDuration(elapsedSeconds)} of its ${formatDuration(minDuration)} minimum`,
    )
    missing.push({ kind: 'duration', haveSeconds: elapsedSeconds, needSeconds: minDuration })
  }
  for (const { result } of evaluations) {
    if (result.decision === 'non-inferior') continue
    reasons.push(result.sentence)
    if (result.decision === 'worse') {
      promotable = false
      continue
    }
    const minSamples = policy.metrics.find((metric) => metric.name === result.name)?.minSamples ?? 0
    for (const cohort of ['baseline', 'canary'] as const) {
      const have = result[cohort].n
      if (have < minSamples)
        missing.push({ kind: 'samples', metric: result.name, cohort, have, need: minSamples })
    }
    if (result.decision === 'pending') missing.push({ kind: 'evidence', metric: result.name })
  }
  if (sampleRatio?.mismatch === true) {
    promotable = false
    reasons.push(
      `sample ratio mismatch: the canary serves ${formatNumber((sampleRatio.observedCanaryShare ?? 0) * 100)}% of requests where ${formatNumber(sampleRatio.expectedCanaryShare * 100)}% is expected (e-value ${formatNumber(sampleRatio.eValue)}); the comparison cannot be trusted to promote`,
    )
  }
  // A policy of event metrics alone judges a service that may serve no traced requests: with
  // none, its error budget cannot be shown to be safe, and must not stand in the way. (Any
  // request the canary does serve still counts: it makes the budget judged as always.)
  const judgesRequests =
    policy.metrics.some((metric) => metric.kind !== 'numeric') || budget.canary.burnRate !== null
  for (const window of budget.windows) {
    if (!window.tripped && isBurning(window) && window.baselineMissing) {
      reasons.push(
        `the canary burns its error budget at ${formatNumber(window.canary.longBurnRate)}× over ${formatDuration(window.longSeconds)}, at or above the ${formatNumber(window.burnRateLimit)}× limit, but the baseline has no data for that window, so the guard cannot tell a canary problem from a service-wide one: no rollback on the budget alone, and no promotion`,
      )
      missing.push({ kind: 'evidence', metric: 'budget' })
      promotable = false
      continue
    }
    if (!window.tripped && !isBurning(window) && !window.belowEvident && judgesRequests) {
      reasons.push(
        `no anytime-valid evidence yet that the canary burns its error budget below the ${formatNumber(window.burnRateLimit)}× limit (e-value ${formatNumber(window.belowEValue)}, ${formatNumber(1 / policy.alpha)} needed); no promotion without it`,
      )
      missing.push({ kind: 'evidence', metric: 'budget' })
    }
    if (!window.tripped && isBurning(window)) {
      promotable = false
      reasons.push(
        `the canary burns its error budget at ${formatNumber(window.canary.longBurnRate)}× over ${formatDuration(window.longSeconds)} and ${formatNumber(window.canary.shortBurnRate)}× over ${formatDuration(window.shortSeconds)}, at or above the ${formatNumber(window.burnRateLimit)}× limit; no promotion while it does` +
          (window.baselineBurning
            ? ` (the baseline burns at ${formatNumber(window.baseline.longBurnRate)}× too, so the whole service is burning, not the canary alone: no rollback on the budget)`
            : ''),
      )
    }
  }
  return { reasons, missing, promotable: promotable && input.failures.length === 0 }
}

function isBurning(window: BurnWindowReport): boolean {
  const { longBurnRate, shortBurnRate } = window.canary
  return (
    longBurnRate !== null &&
    shortBurnRate !== null &&
    longBurnRate >= window.burnRateLimit &&
    shortBurnRate >= window.burnRateLimit
  )
}

function describeTrip(window: BurnWindowReport): string {
  const baseline = window.baseline.longBurnRate
  return (
    `budget guard: the canary burns its error budget at ${formatNumber(window.canary.longBurnRate)}× over ${formatDuration(window.longSeconds)} ` +
    `and ${formatNumber(window.canary.shortBurnRate)}× over ${formatDuration(window.shortSeconds)}, at or above the ${formatNumber(window.burnRateLimit)}× limit, ` +
    `with anytime-valid evidence (e-value ${formatNumber(window.eValue)}); the baseline burns at ${formatNumber(baseline)}× over the same window`
  )
}

/**
 * Seconds until a decision if traffic and effects stay as they are: data grows in proportion to
 * time, so a metric that needs k times its data needs (k − 1) × elapsed more seconds. A critical
 * metric leaning worse decides by rolling back (the soonest counts); otherwise every metric must
 * become non-inferior (the slowest counts). Never beyond maxDuration, when the verdict becomes
 * inconclusive.
 */
function estimateSecondsToDecision(input: DecideInput, promotable: boolean): number {
  const { elapsedSeconds, evaluations, policy } = input
  const toEnd = Math.max(0, policy.analysis.maxDurationSeconds - elapsedSeconds)
  const secondsFor = (growth: number | null): number | null =>
    growth === null || elapsedSeconds <= 0 ? null : elapsedSeconds * (growth - 1)
  const rollbacks = evaluations
    .filter((evaluation) => evaluation.result.critical && evaluation.leaningWorse)
    .map((evaluation) => secondsFor(evaluation.growthToDecide()))
    .filter((seconds): seconds is number => seconds !== null)
  if (rollbacks.length > 0) return Math.round(Math.min(toEnd, ...rollbacks))
  if (!promotable || evaluations.some((evaluation) => evaluation.leaningWorse))
    return Math.round(toEnd)
  let slowest = Math.max(0, policy.analysis.minDurationSeconds - elapsedSeconds)
  for (const evaluation of evaluations) {
    const seconds = secondsFor(evaluation.growthToDecide())
    if (seconds === null) return Math.round(toEnd)
    slowest = Math.max(slowest, seconds)
  }
  return Math.round(Math.min(toEnd, slowest))
}
