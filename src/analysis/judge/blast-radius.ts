import type { Sample } from '../math/sorted.ts'
import type { BlastRadiusPolicy, MetricPolicy, Policy } from '../policy/policy-types.ts'
import { createMetricContext } from './create-metric-context.ts'
import { judgeErrorRate } from './error-rate-metric.ts'
import type {
  BlastRadiusReport,
  CohortSnapshot,
  MetricResult,
  MinuteCounts,
  RelatedResult,
  RelatedRole,
  RelatedService,
} from './judge-types.ts'
import { judgeLatency } from './latency-metric.ts'
import type { MetricEvaluation } from './metric-context.ts'
import { isCompleteMinute, MINUTE_MS } from './minute-blocks.ts'

/**
 * How much later a minute of the blast radius is complete than the canary's own minute: a
 * trace that enters the canary's service at the end of a minute calls its callees a little
 * later, and their spans (from other services, other exporters) arrive later still. A minute
 * of the blast radius enters the tests once it ended this long before the watermark.
 */
export const RELATED_LAG_MS = MINUTE_MS

export interface BlastRadiusInput {
  readonly policy: Policy
  readonly related: RelatedResult
  readonly startMs: number
  /** The watermark of the canary's own minutes; the blast radius's is {@link RELATED_LAG_MS} earlier. */
  readonly watermarkMs: number
  /** The α the blast radius may spend on rollbacks, as one rule of the judgement's split. */
  readonly alphaRollback: number
  readonly alphaPromote: number
  readonly canaryLabel: string
  readonly ascending: (sample: Sample) => Sample
}

export interface BlastRadiusJudgement {
  readonly evaluations: readonly MetricEvaluation[]
  /** The metrics as judged (named per service), so that `decide` finds their minSamples. */
  readonly metrics: readonly MetricPolicy[]
  readonly report: BlastRadiusReport
  /** Why the blast radius could not be judged: no promotion without it. */
  readonly failure: string | null
}

const ROLE_RANK: Readonly<Record<RelatedRole, number>> = { callee: 0, caller: 1, other: 2 }

/**
 * Judges the blast radius: each other service on the canary's traces, compared between the
 * traces through the canary and those through the baseline, with the same rules as the
 * canary's own metrics ({@link judgeErrorRate}, {@link judgeLatency}): minutes as units,
 * complete minutes only, anytime-valid. The units are the minutes in which traces entered the
 * canary's service, so a service's minute pairs with the cohorts' minute and pooled totals
 * never decide.
 *
 * Error control: the blast radius is one rollback rule of the judgement's α split, and its α
 * is divided evenly over `maxServices × critical metrics` (a weighted Bonferroni bound; for
 * e-processes Vovk & Wang 2021, Ann. Statist. 49(3), section 4). The division is fixed by the
 * policy, not by how many services appear, and the services judged are the first
 * `maxServices` to appear (ties by role, traffic, name) and stay judged: each service's
 * e-process starts at its first request, a stopping time, so Ville's inequality bounds each
 * by its share and the union by the blast radius's α. Promotion needs every judged service's
 * metrics within tolerance (an intersection-union test, Berger 1982), like the canary's own.
 */
export function judgeBlastRadius(input: BlastRadiusInput): BlastRadiusJudgement {
  const { policy } = input
  const settings = policy.blastRadius
  const criticalRules = settings.metrics.filter((metric) => metric.critical).length
  const alphaPerRule = input.alphaRollback / (settings.maxServices * Math.max(1, criticalRules))
  if (!input.related.ok) {
    return {
      evaluations: [],
      metrics: [],
      report: {
        maxServices: settings.maxServices,
        alphaPerRule,
        services: [],
        error: input.related.error,
      },
      failure: input.related.error,
    }
  }
  const watermarkMs = input.watermarkMs - RELATED_LAG_MS
  const seen = input.related.services
    .map((related) => toComplete(related, input.startMs, watermarkMs))
    .filter((entry): entry is CompleteService => entry !== null)
    .sort(byAppearance)
  const judged = seen.slice(0, settings.maxServices)
  const evaluations: MetricEvaluation[] = []
  const metrics: MetricPolicy[] = []
  for (const entry of judged) {
    const context = createMetricContext({
      baseline: entry.related.baseline,
      canary: entry.related.canary,
      startMs: input.startMs,
      watermarkMs,
      alphaRollback: alphaPerRule,
      alphaPromote: input.alphaPromote,
      ascending: input.ascending,
    })
    for (const metric of settings.metrics) {
      const named = { ...metric, name: blastMetricName(entry.related.service, metric.name) }
      const evaluation =
        named.kind === 'error-rate' ? judgeErrorRate(named, context) : judgeLatency(named, context)
      metrics.push(named)
      evaluations.push({
        ...evaluation,
        result: toBlastResult(evaluation.result, entry.related, metric.name, input.canaryLabel),
      })
    }
  }
  return {
    evaluations,
    metrics,
    report: {
      maxServices: settings.maxServices,
      alphaPerRule,
      services: seen.map((entry, index) => ({
        service: entry.related.service,
        role: entry.related.role,
        judged: index < settings.maxServices,
        baselineRequests: entry.related.baseline.requests,
        canaryRequests: entry.related.canary.requests,
        firstSeenMs: entry.firstSeenMs,
      })),
      error: null,
    },
    failure: null,
  }
}

/** Whether the policy judges a blast radius at all (enabled, with a rule that can decide). */
export function judgesBlastRadius(settings: BlastRadiusPolicy): boolean {
  return settings.enabled && settings.metrics.length > 0
}

/** The name of a blast-radius metric in a verdict: `blast-radius:payment:error-rate`. */
export function blastMetricName(service: string, metric: string): string {
  return `blast-radius:${service}:${metric}`
}

interface CompleteService {
  readonly related: RelatedService
  readonly firstSeenMs: number
  readonly firstMinuteRequests: number
}

/**
 * The service with only its complete minutes (totals and latency samples follow them), or
 * null when it has no request in any complete minute yet.
 */
function toComplete(
  related: RelatedService,
  startMs: number,
  watermarkMs: number,
): CompleteService | null {
  const baseline = completeOnly(related.baseline, startMs, watermarkMs)
  const canary = completeOnly(related.canary, startMs, watermarkMs)
  let firstSeenMs = Infinity
  let firstMinuteRequests = 0
  for (const minute of [...baseline.minutes, ...canary.minutes]) {
    if (minute.requests === 0) continue
    if (minute.startMs < firstSeenMs) {
      firstSeenMs = minute.startMs
      firstMinuteRequests = 0
    }
    if (minute.startMs === firstSeenMs) firstMinuteRequests += minute.requests
  }
  if (!Number.isFinite(firstSeenMs)) return null
  return { related: { ...related, baseline, canary }, firstSeenMs, firstMinuteRequests }
}

function completeOnly(
  snapshot: CohortSnapshot,
  startMs: number,
  watermarkMs: number,
): CohortSnapshot {
  const minutes: MinuteCounts[] = snapshot.minutes.filter((minute) =>
    isCompleteMinute(minute, startMs, watermarkMs),
  )
  let requests = 0
  let errors = 0
  for (const minute of minutes) {
    requests += minute.requests
    errors += minute.errors
  }
  return { requests, errors, latencyMs: [], minutes }
}

function byAppearance(a: CompleteService, b: CompleteService): number {
  return (
    a.firstSeenMs - b.firstSeenMs ||
    ROLE_RANK[a.related.role] - ROLE_RANK[b.related.role] ||
    b.firstMinuteRequests - a.firstMinuteRequests ||
    (a.related.service < b.related.service ? -1 : a.related.service > b.related.service ? 1 : 0)
  )
}

/** The result named for people: "payment's error-rate on traces through checkout 1.5.0 (callee)". */
function toBlastResult(
  result: MetricResult,
  related: RelatedService,
  metricName: string,
  canaryLabel: string,
): MetricResult {
  const subject = `${related.service}'s ${metricName} on traces through ${canaryLabel} (${related.role})`
  const ownPrefix = `${result.name}: canary `
  const sentence = result.sentence.startsWith(ownPrefix)
    ? `${subject}: traces through the canary ${result.sentence
        .slice(ownPrefix.length)
        .replace(' vs baseline ', ' vs through the baseline ')}`
    : `${subject}${result.sentence.slice(result.name.length)}`
  return { ...result, blastRadius: { service: related.service, role: related.role }, sentence }
}
