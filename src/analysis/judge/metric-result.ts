import type { MetricPolicy } from '../policy/policy-types.ts'
import { formatDifference, formatEffect, formatInterval, formatNumber } from './format.ts'
import type {
  CohortEstimate,
  DispersionReport,
  MetricDecision,
  MetricResult,
} from './judge-types.ts'
import { finiteOrNull, toEValue, toPValue, type Margin } from './metric-context.ts'

/** Everything a metric rule found, before it is written up as a {@link MetricResult}. */
export interface MetricFindings {
  readonly metric: MetricPolicy
  readonly test: string
  readonly baseline: CohortEstimate
  readonly canary: CohortEstimate
  readonly effect: number | null
  readonly interval: readonly [number | null, number | null]
  readonly margin: Margin
  /** ln e-value for "worse beyond tolerance"; null for rules without one. */
  readonly logEWorse: number | null
  /** ln e-value for "within tolerance"; null for rules without one. */
  readonly logEWithin: number | null
  /** Anytime-valid p-value for "worse beyond tolerance" of rules without an e-value. */
  readonly pValue?: number | null
  readonly worse: boolean
  readonly within: boolean
  /** Observations per cohort short of `minSamples`, if any. */
  readonly shortOfSamples: boolean
  readonly alphaRollback: number
  readonly alphaPromote: number
  /** How a cohort's side reads in the sentence: "1.52% (152 of 10000 requests)". */
  readonly describe: (estimate: CohortEstimate) => string
  /** Unit of absolute effects: "", " ms". */
  readonly unit: string
  /** An extra clause for the sentence, e.g. why the rule could not run. */
  readonly note?: string
  /** The rule that decided, when one did (defaults to `test`). */
  readonly decidedBy?: string | null
  readonly dispersion?: DispersionReport | null
}

export function toDecision(
  findings: Pick<MetricFindings, 'worse' | 'within' | 'shortOfSamples'>,
): MetricDecision {
  if (findings.worse) return 'worse'
  if (findings.within && !findings.shortOfSamples) return 'non-inferior'
  return 'pending'
}

/** The metric's result with the sentence that explains it. */
export function toMetricResult(findings: MetricFindings): MetricResult {
  const decision = toDecision(findings)
  const { metric, margin, unit } = findings
  const pValue =
    findings.logEWorse !== null ? toPValue(findings.logEWorse) : finiteOrNull(findings.pValue)
  const effect = finiteOrNull(findings.effect)
  const interval: readonly [number | null, number | null] = [
    finiteOrNull(findings.interval[0]),
    finiteOrNull(findings.interval[1]),
  ]
  const sentence =
    `${metric.name}: canary ${findings.describe(findings.canary)} vs baseline ` +
    `${findings.describe(findings.baseline)}; effect ${formatEffect(effect, margin.scale, unit)}, ` +
    `anytime-valid interval ${formatInterval(interval, margin.scale, unit)}, ` +
    `tolerance ${formatEffect(margin.threshold, margin.scale, unit)}` +
    (margin.floor === 0
      ? ''
      : ` or ${floorText(metric, margin.floor, unit)}, whichever is larger`) +
    ': ' +
    conclusion(decision, findings, pValue) +
    (findings.note === undefined ? '' : `; ${findings.note}`) +
    '.'
  return {
    name: metric.name,
    kind: metric.kind,
    critical: metric.critical,
    decision,
    test: findings.test,
    baseline: findings.baseline,
    canary: findings.canary,
    effect,
    effectScale: margin.scale,
    interval,
    threshold: margin.threshold,
    floor: margin.floor,
    decidedBy:
      decision === 'worse' || decision === 'non-inferior'
        ? (findings.decidedBy ?? findings.test)
        : null,
    dispersion: findings.dispersion ?? null,
    eValue: toEValue(findings.logEWorse),
    pValue,
    nonInferiorityEValue: toEValue(findings.logEWithin),
    alpha: { rollback: findings.alphaRollback, promote: findings.alphaPromote },
    sentence,
  }
}

function conclusion(
  decision: MetricDecision,
  findings: MetricFindings,
  pValue: number | null,
): string {
  const evidence = describeEvidence(findings, pValue)
  switch (decision) {
    case 'worse':
      return `worse than the baseline beyond the tolerance${findings.metric.critical ? '' : ' (not critical: it blocks promotion but does not roll back)'} (${evidence})`
    case 'non-inferior':
      return `within the tolerance (${evidence})`
    case 'no-data':
      return 'no data yet'
    case 'pending':
      return findings.shortOfSamples && findings.within
        ? `within the tolerance so far, but short of ${findings.metric.minSamples} observations per cohort`
        : `not decided yet (${evidence})`
  }
}

function describeEvidence(findings: MetricFindings, pValue: number | null): string {
  const rollbackAt = 1 / findings.alphaRollback
  const promoteAt = 1 / findings.alphaPromote
  if (findings.logEWorse !== null && findings.logEWithin !== null) {
    return (
      `e-value ${formatNumber(toEValue(findings.logEWorse))} for worse, ${formatNumber(rollbackAt)} rolls back; ` +
      `${formatNumber(toEValue(findings.logEWithin))} for within, ${formatNumber(promoteAt)} promotes`
    )
  }
  return `anytime p-value ${formatNumber(pValue)} for worse, below ${formatNumber(findings.alphaRollback)} rolls back`
}

/** The result of a metric that cannot be judged because a cohort has no observations. */
export function noDataResult(
  metric: MetricPolicy,
  test: string,
  margin: Margin,
  baseline: CohortEstimate,
  canary: CohortEstimate,
  alpha: { rollback: number; promote: number },
): MetricResult {
  const empty = [baseline.n === 0 ? 'baseline' : '', canary.n === 0 ? 'canary' : '']
    .filter((name) => name !== '')
    .join(' and ')
  return {
    name: metric.name,
    kind: metric.kind,
    critical: metric.critical,
    decision: 'no-data',
    test,
    baseline,
    canary,
    effect: null,
    effectScale: margin.scale,
    interval: [null, null],
    threshold: margin.threshold,
    floor: margin.floor,
    decidedBy: null,
    dispersion: null,
    eValue: null,
    pValue: null,
    nonInferiorityEValue: null,
    alpha,
    sentence: `${metric.name}: no observations from the ${empty} yet, so nothing can be concluded; no promotion without data.`,
  }
}

/** A floor as the policy means it: percentage points for error rates, the metric's unit otherwise. */
function floorText(metric: MetricPolicy, floor: number, unit: string): string {
  return metric.kind === 'error-rate'
    ? `${formatDifference(floor * 100, '')} percentage points`
    : formatDifference(floor, unit)
}
