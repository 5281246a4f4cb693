import { DEFAULT_POLICY, parsePolicy } from '../analysis/index.ts'
import type {
  DecisionChangeRow,
  OverviewCohortRow,
  OverviewWindow,
} from '../store/overview-queries.ts'
import type { AnalysisDefinition, CohortSelector } from './analysis-definition.ts'
import { NO_TEMPLATES, type PolicyTemplates } from './policy-templates.ts'
import type { TrainDefinition } from './train-definition.ts'

/** A release or flag variant of a service, as the overview shows it. */
export interface OverviewCohort {
  readonly name: string
  /** Its share of the service's recent requests (of the flag's, for a variant); null: none. */
  readonly share: number | null
  readonly recentRequests: number
  readonly errorRate: number | null
  /** Error rate over the error budget (1 − SLO): 1 burns the budget exactly in the SLO period. */
  readonly burnRate: number | null
  readonly firstSeen: string
  readonly lastSeen: string
  /** It served requests in the recent part of the window. */
  readonly inFlight: boolean
}

export interface OverviewService {
  readonly service: string
  readonly environment: string
  readonly slo: number
  readonly releases: readonly OverviewCohort[]
  readonly flags: readonly { readonly key: string; readonly variants: readonly OverviewCohort[] }[]
  readonly analyses: readonly {
    readonly id: string
    readonly baseline: CohortSelector
    readonly canary: CohortSelector
    readonly startTime: string
  }[]
  readonly trains: readonly { readonly id: string; readonly name: string }[]
}

/** A moment of the release calendar: a release or flag variant appearing, or a decision. */
export type OverviewEvent =
  | {
      readonly time: string
      readonly kind: 'release' | 'flag'
      readonly service: string
      readonly environment: string
      readonly name: string
    }
  | {
      readonly time: string
      readonly kind: 'decision'
      /** The analysis' service, or the train's member services joined by ", ". */
      readonly service: string
      readonly id: string
      readonly subject: string
      readonly decision: string
      readonly reason: string
    }

export interface ReleaseOverview {
  readonly from: string
  readonly to: string
  readonly recentFrom: string
  readonly services: readonly OverviewService[]
  readonly timeline: readonly OverviewEvent[]
}

export interface OverviewInput {
  readonly window: OverviewWindow
  readonly cohorts: readonly OverviewCohortRow[]
  readonly changes: readonly DecisionChangeRow[]
  readonly analyses: readonly AnalysisDefinition[]
  readonly trains: readonly TrainDefinition[]
  /** The availability SLO of a service in an environment. */
  readonly sloOf: (service: string, environment: string) => number
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * The release overview from the store's rows: per service and environment, each release's
 * and flag variant's recent traffic share, error rate and budget burn (error rate / (1 − SLO),
 * the SRE workbook's burn rate), the analyses and trains that judge it, and a calendar of the
 * releases and flag variants that first served traffic in the window and of every decision
 * change. Pure: the same rows give the same overview.
 */
export function toReleaseOverview(input: OverviewInput): ReleaseOverview {
  const groups = new Map<string, OverviewCohortRow[]>()
  for (const row of input.cohorts) {
    const key = JSON.stringify([row.service, row.environment])
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  const services = [...groups.values()].map((rows) => {
    const { service, environment } = rows[0]!
    const slo = input.sloOf(service, environment)
    const releases = rows.filter((row) => row.flagKey === '')
    const flagKeys = [...new Set(rows.filter((row) => row.flagKey !== '').map((r) => r.flagKey))]
    return {
      service,
      environment,
      slo,
      releases: toCohorts(releases, (row) => row.release, slo),
      flags: flagKeys.map((key) => ({
        key,
        variants: toCohorts(
          rows.filter((row) => row.flagKey === key),
          (row) => row.flagVariant,
          slo,
        ),
      })),
      analyses: input.analyses
        .filter(
          (analysis) => analysis.service === service && matches(analysis.environment, environment),
        )
        .map((analysis) => ({
          id: analysis.id,
          baseline: analysis.baseline,
          canary: analysis.canary,
          startTime: iso(analysis.startMs),
        })),
      trains: input.trains
        .filter((train) =>
          train.members.some(
            (member) => member.service === service && matches(member.environment, environment),
          ),
        )
        .map((train) => ({ id: train.id, name: train.name })),
    }
  })
  return {
    from: iso(input.window.fromMs),
    to: iso(input.window.toMs),
    recentFrom: iso(input.window.recentFromMs),
    services,
    timeline: toTimeline(input),
  }
}

/** An analysis for every environment ('') covers each environment's row. */
function matches(judged: string, environment: string): boolean {
  return judged === '' || judged === environment
}

function toCohorts(
  rows: readonly OverviewCohortRow[],
  nameOf: (row: OverviewCohortRow) => string,
  slo: number,
): OverviewCohort[] {
  const total = rows.reduce((sum, row) => sum + row.recentRequests, 0)
  return [...rows]
    .sort((a, b) => b.recentRequests - a.recentRequests || a.firstSeenMs - b.firstSeenMs)
    .map((row) => {
      const errorRate = row.recentRequests === 0 ? null : row.recentErrors / row.recentRequests
      return {
        name: nameOf(row),
        share: total === 0 ? null : row.recentRequests / total,
        recentRequests: row.recentRequests,
        errorRate,
        burnRate: errorRate === null ? null : errorRate / (1 - slo),
        firstSeen: iso(row.firstSeenMs),
        lastSeen: iso(row.lastSeenMs),
        inFlight: row.recentRequests > 0,
      }
    })
}

function toTimeline(input: OverviewInput): OverviewEvent[] {
  const appeared: OverviewEvent[] = input.cohorts
    .filter((row) => row.firstSeenMs >= input.window.fromMs)
    .map((row) => ({
      time: iso(row.firstSeenMs),
      kind: row.flagKey === '' ? ('release' as const) : ('flag' as const),
      service: row.service,
      environment: row.environment,
      name: row.flagKey === '' ? row.release : `${row.flagKey}=${row.flagVariant}`,
    }))
  const analyses = new Map(input.analyses.map((analysis) => [analysis.id, analysis]))
  const trains = new Map(input.trains.map((train) => [train.id, train]))
  const decisions = input.changes.flatMap((change): OverviewEvent[] => {
    const analysis = analyses.get(change.id)
    const train = trains.get(change.id)
    if (analysis === undefined && train === undefined) return []
    return [
      {
        time: iso(change.evaluatedAtMs),
        kind: 'decision',
        id: change.id,
        service:
          analysis?.service ?? train?.members.map((member) => member.service).join(', ') ?? '',
        subject:
          analysis === undefined
            ? `train ${train?.name ?? change.id}`
            : describe(analysis.service, analysis.canary),
        decision: change.decision,
        reason: change.reason,
      },
    ]
  })
  return [...appeared, ...decisions].sort(
    (a, b) => a.time.localeCompare(b.time) || a.kind.localeCompare(b.kind),
  )
}

function describe(service: string, selector: CohortSelector): string {
  const parts = [service]
  if (selector.release !== undefined) parts.push(selector.release)
  if (selector.flag !== undefined) parts.push(`${selector.flag.key}=${selector.flag.variant}`)
  return parts.join(' ')
}

/** The SLO a service is judged by: its policy template's, or the default policy's. */
export function createSloLookup(
  templates: PolicyTemplates = NO_TEMPLATES,
): (service: string, environment: string) => number {
  return (service, environment) => {
    const template = templates.find(service, environment)
    if (template === undefined) return DEFAULT_POLICY.slo.availability
    try {
      return parsePolicy(template).slo.availability
    } catch {
      return DEFAULT_POLICY.slo.availability
    }
  }
}

/** Where the overview reads its rows: the store's rollup and audit trail. */
export interface OverviewSource {
  cohorts(window: OverviewWindow): Promise<OverviewCohortRow[]>
  decisionChanges(window: { fromMs: number; toMs: number }): Promise<DecisionChangeRow[]>
}
