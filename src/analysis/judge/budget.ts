import type { Sample } from '../math/sorted.ts'
import type { BurnWindow, Policy } from '../policy/policy-types.ts'
import { logBurnEValue, logBurnThreshold, logRateBelowEValue } from './burn-guard.ts'
import type { BudgetReport, BurnWindowReport, CohortBudget, CohortSnapshot } from './judge-types.ts'
import { finiteOrNull, toEValue } from './metric-context.ts'
import { MINUTE_MS, windowCounts } from './minute-blocks.ts'

export interface BudgetInput {
  readonly policy: Policy
  readonly baseline: CohortSnapshot | null
  readonly canary: CohortSnapshot | null
  /** The cohorts' sorted latency samples, read only when a latency SLO is set. */
  readonly baselineLatency: () => Sample
  readonly canaryLatency: () => Sample
  readonly startMs: number
  readonly evaluatedAtMs: number
  /** Minutes that end after this (the evaluation time less the ingest lag) are not used yet. */
  readonly watermarkMs: number
  /** Level of the guard, its share of the rollback α. */
  readonly alphaGuard: number
  /** Level of the evidence that the canary burns below each limit, which promotion needs. */
  readonly alphaPromote: number
}

/**
 * Error budgets after the SRE workbook (Beyer et al. 2018, "The Site Reliability Workbook",
 * ch. 5 "Alerting on SLOs"): burn rate = error rate / (1 − SLO), judged on pairs of a long and
 * a short window (14.4× over 1 h with 5 min, 6× over 6 h with 30 min by default). The windows
 * are scaled to the analysis: while it is younger than a long window, both windows shrink in
 * proportion (the short one to at least a minute).
 *
 * The guard trips on a pair when the canary burns at or above the limit on both windows, as the
 * workbook's alert does, and the long window also holds anytime-valid evidence of it
 * ({@link logBurnEValue} against the union-bound threshold {@link logBurnThreshold}), so that
 * noise in a small window cannot roll a healthy canary back, and the baseline's long window
 * holds the same kind of evidence that it burns below the limit ({@link logRateBelowEValue}):
 * when the whole service burns (an incident upstream), rolling the canary back saves no budget
 * and blames the release, so the guard only blocks promotion; a canary that is worse than such
 * a baseline is caught by the comparison. Without the baseline's data (a failed query, an
 * empty cohort) the guard cannot tell the two apart and never trips: missing data alone never
 * rolls back.
 *
 * Promotion needs more than the absence of a trip: anytime-valid evidence that the canary's
 * error rate over the analysis is below every window's limit ({@link logRateBelowEValue} on the
 * cumulative counts of complete minutes, a fixed start, so Ville's inequality applies with no
 * union bound), so that a short window dipping by chance does not promote a burning canary.
 */
export function assessBudget(input: BudgetInput): BudgetReport {
  const { policy } = input
  const canary = cohortBudget(input.canary, input.canaryLatency, policy)
  const windows = policy.budget.windows.map((window) => assessWindow(input, window))
  return {
    slo: policy.slo,
    burnRate: canary.burnRate,
    budgetRemaining: canary.budgetRemaining,
    canary,
    baseline: cohortBudget(input.baseline, input.baselineLatency, policy),
    windows,
    guard: {
      enabled: policy.budget.guard,
      tripped: windows.some((window) => window.tripped),
      alpha: input.alphaGuard,
    },
  }
}

function cohortBudget(
  snapshot: CohortSnapshot | null,
  latencySample: () => Sample,
  policy: Policy,
): CohortBudget {
  const burnRate =
    snapshot === null ? null : burn(snapshot.requests, snapshot.errors, policy.slo.availability)
  const latencySlo = policy.slo.latency
  const latency = latencySlo === null ? [] : latencySample()
  const latencyBurnRate =
    latencySlo === null || latency.length === 0
      ? null
      : burn(latency.length, countAbove(latency, latencySlo.thresholdMs), latencySlo.target)
  return {
    burnRate,
    budgetRemaining: burnRate === null ? null : 1 - burnRate,
    latencyBurnRate,
    latencyBudgetRemaining: latencyBurnRate === null ? null : 1 - latencyBurnRate,
  }
}

function assessWindow(input: BudgetInput, window: BurnWindow): BurnWindowReport {
  const { policy, startMs, evaluatedAtMs } = input
  const watermarkMs = input.watermarkMs
  const elapsedMs = Math.max(0, evaluatedAtMs - startMs)
  const scale = Math.min(1, elapsedMs / (window.longSeconds * 1000))
  const longMs = Math.max(MINUTE_MS, window.longSeconds * 1000 * scale)
  const shortMs = Math.min(longMs, Math.max(MINUTE_MS, window.shortSeconds * 1000 * scale))
  const slo = policy.slo.availability
  const rates = (snapshot: CohortSnapshot | null) => {
    if (snapshot === null) return { long: null, short: null, counts: null }
    const long = windowCounts(snapshot.minutes, startMs, watermarkMs, longMs)
    const short = windowCounts(snapshot.minutes, startMs, watermarkMs, shortMs)
    return {
      long: burn(long.requests, long.errors, slo),
      short: burn(short.requests, short.errors, slo),
      counts: long,
    }
  }
  const canary = rates(input.canary)
  const baseline = rates(input.baseline)
  const limitRate = window.burnRate * (1 - slo)
  const logE =
    canary.counts === null
      ? null
      : logBurnEValue(canary.counts.requests, canary.counts.errors, limitRate)
  const startMinutes = Math.ceil(policy.analysis.maxDurationSeconds / 60) + 1
  // Past maxDuration the long window may start at a minute the union bound did not count.
  const counted =
    canary.counts?.firstStartMs !== null &&
    canary.counts?.firstStartMs !== undefined &&
    canary.counts.firstStartMs < startMs + startMinutes * MINUTE_MS
  const threshold = logBurnThreshold(startMinutes, policy.budget.windows.length, input.alphaGuard)
  const evident = logE !== null && counted && logE >= threshold
  const baselineBurning = baseline.long !== null && baseline.long >= window.burnRate
  const baselineBelowLogE =
    baseline.counts === null
      ? null
      : logRateBelowEValue(baseline.counts.requests, baseline.counts.errors, limitRate)
  const baselineMissing = baseline.counts === null || baseline.counts.requests === 0
  const baselineBelow = baselineBelowLogE !== null && baselineBelowLogE >= threshold
  const whole =
    input.canary === null
      ? null
      : windowCounts(input.canary.minutes, startMs, watermarkMs, Number.POSITIVE_INFINITY)
  const belowLogE =
    whole === null ? null : logRateBelowEValue(whole.requests, whole.errors, limitRate)
  const burning =
    canary.long !== null &&
    canary.short !== null &&
    canary.long >= window.burnRate &&
    canary.short >= window.burnRate
  return {
    longSeconds: Math.round(longMs / 1000),
    shortSeconds: Math.round(shortMs / 1000),
    burnRateLimit: window.burnRate,
    canary: { longBurnRate: canary.long, shortBurnRate: canary.short },
    baseline: { longBurnRate: baseline.long, shortBurnRate: baseline.short },
    eValue: toEValue(logE),
    baselineBurning,
    baselineMissing,
    baselineBelowEValue: toEValue(baselineBelowLogE),
    belowEValue: toEValue(belowLogE),
    belowEvident: belowLogE !== null && belowLogE >= -Math.log(input.alphaPromote),
    tripped: policy.budget.guard && burning && evident && !baselineBurning && baselineBelow,
  }
}

function burn(requests: number, errors: number, target: number): number | null {
  return requests > 0 ? finiteOrNull(errors / requests / (1 - target)) : null
}

/** Values above a threshold in an ascending sample (binary search). */
function countAbove(ascending: Sample, threshold: number): number {
  let low = 0
  let high = ascending.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((ascending[middle] as number) <= threshold) low = middle + 1
    else high = middle
  }
  return ascending.length - low
}
