import { RhError } from '../../errors.ts'
import type { MetricPolicy } from '../policy/policy-types.ts'
import { judgeBlastRadius, judgesBlastRadius, type BlastRadiusJudgement } from './blast-radius.ts'
import { assessBudget } from './budget.ts'
import { createMetricContext, createSortCache } from './create-metric-context.ts'
import { decide } from './decide.ts'
import { judgeErrorRate } from './error-rate-metric.ts'
import type { JudgeInput, Verdict } from './judge-types.ts'
import { judgeLatency } from './latency-metric.ts'
import type { MetricContext, MetricEvaluation } from './metric-context.ts'
import { judgeNumeric } from './numeric-metric.ts'
import { checkSampleRatio } from './sample-ratio-check.ts'

/**
 * The verdict on a canary at one moment, from the cohorts' cumulative data since the analysis
 * started. Pure and stateless: the same input gives the same verdict, bit for bit, and every
 * rule is anytime-valid, so a controller may poll it as often as it likes without raising the
 * chance of a false rollback above the policy's α (split across the critical metrics, the
 * budget guard and the blast radius; a union bound) or of a false promotion above α (every
 * metric must show non-inferiority, an intersection-union test; Berger 1982, Technometrics
 * 24(4)).
 *
 * @throws RhError `RH_API_INVALID_REQUEST` when the times are not finite numbers.
 */
export function judge(input: JudgeInput): Verdict {
  const { policy, startMs, evaluatedAtMs } = input
  const ingestLagMs = input.ingestLagMs ?? 0
  const alphaShare = input.alphaShare ?? 1
  if (!Number.isFinite(startMs) || !Number.isFinite(evaluatedAtMs)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `startMs and evaluatedAtMs must be finite epoch milliseconds, got ${startMs} and ${evaluatedAtMs}`,
    )
  }
  if (!(Number.isFinite(ingestLagMs) && ingestLagMs >= 0)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `ingestLagMs must be a number of milliseconds >= 0, got ${ingestLagMs}`,
    )
  }
  if (!(alphaShare > 0 && alphaShare <= 1)) {
    throw new RhError('RH_API_INVALID_REQUEST', `alphaShare must lie in (0, 1], got ${alphaShare}`)
  }
  const watermarkMs = evaluatedAtMs - ingestLagMs
  const elapsedSeconds = Math.max(0, (evaluatedAtMs - startMs) / 1000)
  const baseline = input.baseline.ok ? input.baseline.data : null
  const canary = input.canary.ok ? input.canary.data : null
  const alphaRollback = (policy.alpha * alphaShare) / Math.max(1, countRollbackRules(input))
  const ascending = createSortCache()
  const context: MetricContext = createMetricContext({
    baseline,
    canary,
    startMs,
    watermarkMs,
    alphaRollback,
    alphaPromote: policy.alpha,
    ascending,
  })
  const own = policy.metrics.map((metric) => evaluateMetric(metric, context))
  const blast = judgeRelated(input, watermarkMs, alphaRollback, ascending)
  const evaluations = [...own, ...(blast?.evaluations ?? [])]
  const budget = assessBudget({
    policy,
    baseline,
    canary,
    baselineLatency: () => context.sortedLatency('baseline'),
    canaryLatency: () => context.sortedLatency('canary'),
    startMs,
    evaluatedAtMs,
    watermarkMs,
    alphaGuard: alphaRollback,
    alphaPromote: policy.alpha,
  })
  const sampleRatio = checkSampleRatio(policy.expectedCanaryShare, baseline, canary, policy.alpha)
  const failures = (['baseline', 'canary'] as const).flatMap((cohort) => {
    const result = input[cohort]
    return result.ok ? [] : [{ cohort, error: result.error }]
  })
  const judged =
    blast === null ? policy : { ...policy, metrics: [...policy.metrics, ...blast.metrics] }
  const decided = decide({
    policy: judged,
    elapsedSeconds,
    evaluations,
    budget,
    sampleRatio,
    failures,
    relatedFailure: blast?.failure ?? null,
  })
  return {
    decision: decided.decision,
    reasons: decided.reasons,
    elapsedSeconds,
    metrics: evaluations.map((evaluation) => evaluation.result),
    budget,
    sampleRatio,
    blastRadius: blast?.report ?? null,
    missing: decided.missing,
    estimatedSecondsToDecision: decided.estimatedSecondsToDecision,
    alpha: { total: policy.alpha, rollbackPerRule: alphaRollback, promote: policy.alpha },
  }
}

/**
 * The rollback rules the α is split over: the critical metrics, the budget guard, and the
 * blast radius as one rule when it is judged with a critical metric. Fixed by the policy and
 * by whether the blast radius is given at all, never by the data.
 */
export function countRollbackRules(input: Pick<JudgeInput, 'policy' | 'related'>): number {
  const { policy } = input
  const blast =
    input.related !== undefined &&
    judgesBlastRadius(policy.blastRadius) &&
    policy.blastRadius.metrics.some((metric) => metric.critical)
  return (
    policy.metrics.filter((metric) => metric.critical).length +
    (policy.budget.guard ? 1 : 0) +
    (blast ? 1 : 0)
  )
}

function judgeRelated(
  input: JudgeInput,
  watermarkMs: number,
  alphaRollback: number,
  ascending: ReturnType<typeof createSortCache>,
): BlastRadiusJudgement | null {
  if (input.related === undefined || !judgesBlastRadius(input.policy.blastRadius)) return null
  return judgeBlastRadius({
    policy: input.policy,
    related: input.related,
    startMs: input.startMs,
    watermarkMs,
    alphaRollback,
    alphaPromote: input.policy.alpha,
    canaryLabel: input.canaryLabel ?? 'the canary',
    ascending,
  })
}

function evaluateMetric(metric: MetricPolicy, context: MetricContext): MetricEvaluation {
  switch (metric.kind) {
    case 'error-rate':
      return judgeErrorRate(metric, context)
    case 'latency':
      return judgeLatency(metric, context)
    case 'numeric':
      return judgeNumeric(metric, context)
  }
}
