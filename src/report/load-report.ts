import { parsePolicy } from '../analysis/index.ts'
import { RhError } from '../errors.ts'
import { createAnalysesRepository } from '../store/analyses-repository.ts'
import {
  queryChanges,
  queryCohortSeries,
  queryReleaseSeries,
  type SeriesPoint,
} from '../store/series-queries.ts'
import { queryEventSeries } from '../store/event-cohort-queries.ts'
import { ownSpanSources, type SpanSources } from '../store/span-sources.ts'
import type { Store } from '../store/store-client.ts'
import type { AnalysisDefinition } from '../verdicts/analysis-definition.ts'
import { createStoreBlastRadiusMinutes } from '../store/blast-radius-repository.ts'
import { createTrainsRepository } from '../store/trains-repository.ts'
import type { VerdictRecord } from '../store/analyses-repository.ts'
import { changeKey, type AnalysisReport, type ReportModel } from './report-model.ts'

/** Context shown before an analysis starts and after its last verdict. */
const CONTEXT_MS = 30 * 60_000
/** The longest window a report covers: per-minute charts of a week are already dense. */
const MAX_WINDOW_MS = 7 * 24 * 3_600_000
/** Recorded verdicts read per analysis at most (controllers poll every few seconds). */
const MAX_VERDICTS = 10_000
/** Analyses of a service considered for a service report. */
const MAX_ANALYSES = 1_000

export interface ReportContext {
  readonly store: Store
  /**
   * Where spans are read (`createSpanSources`): the service's by the instance's default, each
   * analysis' by its policy source. Omitted: release-health's own tables.
   */
  readonly sources?: SpanSources | undefined
  readonly nowMs: number
  readonly version: string
}

/** A report on one analysis: its window, with half an hour of context either side. */
export async function loadAnalysisReport(
  context: ReportContext,
  analysisId: string,
): Promise<ReportModel> {
  const repository = createAnalysesRepository(context.store)
  const analysis = await repository.find(analysisId)
  if (analysis === undefined) {
    throw new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(analysisId)}`)
  }
  const verdicts = (await repository.listVerdicts(analysisId, MAX_VERDICTS)).reverse()
  const lastMs = verdicts.at(-1)?.evaluatedAtMs ?? context.nowMs
  const fromMs = analysis.startMs - CONTEXT_MS
  // The minute in progress is left out: a partial minute would look like a drop in traffic.
  const toMs = Math.min(toMinute(context.nowMs), lastMs + CONTEXT_MS, fromMs + MAX_WINDOW_MS)
  return loadWindow(context, {
    scope: `analysis ${analysis.id}`,
    service: analysis.service,
    environment: analysis.environment,
    fromMs,
    toMs,
    analyses: [{ analysis, verdicts }],
  })
}

/** A report on a service over a time range: every change and every analysis in it. */
export async function loadServiceReport(
  context: ReportContext,
  query: { service: string; environment: string; fromMs: number; toMs: number },
): Promise<ReportModel> {
  if (!(query.toMs > query.fromMs) || query.toMs - query.fromMs > MAX_WINDOW_MS) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      'the report window must end after it starts and span at most 7 days',
    )
  }
  const repository = createAnalysesRepository(context.store)
  const candidates = await repository.list({ service: query.service, limit: MAX_ANALYSES })
  const analyses = []
  for (const analysis of candidates.filter((candidate) => isInScope(candidate, query))) {
    const verdicts = (await repository.listVerdicts(analysis.id, MAX_VERDICTS)).reverse()
    // An analysis started before the window belongs to it when it was still being judged.
    if (analysis.startMs >= query.fromMs || verdicts.some((v) => v.evaluatedAtMs >= query.fromMs)) {
      analyses.push({ analysis, verdicts })
    }
  }
  const environment = query.environment === '' ? 'every environment' : query.environment
  return loadWindow(context, {
    ...query,
    scope: `${query.service} in ${environment}`,
    analyses: analyses.sort((a, b) => a.analysis.startMs - b.analysis.startMs),
  })
}

/**
 * A report on a release train: the train's decisions and causes, every member as an analysis
 * section (its verdicts are its part of each train verdict), and every member service's
 * releases and changes over the train's window.
 */
export async function loadTrainReport(
  context: ReportContext,
  trainId: string,
): Promise<ReportModel> {
  const train = await createTrainsRepository(context.store).find(trainId)
  if (train === undefined) {
    throw new RhError('RH_API_NOT_FOUND', `no release train with id ${JSON.stringify(trainId)}`)
  }
  const repository = createAnalysesRepository(context.store)
  const verdicts = (await repository.listVerdicts(trainId, MAX_VERDICTS)).reverse()
  const lastMs = verdicts.at(-1)?.evaluatedAtMs ?? context.nowMs
  const fromMs = train.startMs - CONTEXT_MS
  const toMs = Math.min(toMinute(context.nowMs), lastMs + CONTEXT_MS, fromMs + MAX_WINDOW_MS)
  const members = train.members.map((member, index) => ({
    analysis: {
      id: `${train.id}.${index}`,
      version: train.version,
      createdAtMs: train.createdAtMs,
      service: member.service,
      environment: member.environment,
      baseline: member.baseline,
      canary: member.canary,
      startMs: train.startMs,
      policy: member.policy ?? train.policy,
    },
    verdicts: verdicts.flatMap((record) => memberRecord(record, index)),
  }))
  const services = train.members.map((member) => member.service)
  const perService = await Promise.all(
    members.map((member) =>
      loadWindow(context, {
        scope: '',
        service: member.analysis.service,
        environment: member.analysis.environment,
        fromMs,
        toMs,
        analyses: [member],
      }),
    ),
  )
  const prefixed = <T>(map: ReadonlyMap<string, T>, service: string): [string, T][] =>
    [...map.entries()].map(([key, value]) => [`${service} ${key}`, value])
  return {
    scope: `release train ${train.name} (${services.join(', ')})`,
    service: services.join(', '),
    environment: train.environment,
    fromMs,
    toMs,
    generatedAtMs: context.nowMs,
    version: context.version,
    changes: perService
      .flatMap((model) => model.changes)
      .sort((a, b) => a.firstSeenMs - b.firstSeenMs),
    releases: new Map(perService.flatMap((model) => prefixed(model.releases, model.service))),
    flagSeries: new Map(perService.flatMap((model) => [...model.flagSeries.entries()])),
    analyses: perService.flatMap((model) => model.analyses),
    train: { id: train.id, name: train.name, verdicts },
  }
}

/** A member's part of a recorded train verdict, as the record of its own analysis. */
function memberRecord(record: VerdictRecord, index: number): VerdictRecord[] {
  const body = record.body as {
    members?: readonly { decision?: string; reasons?: readonly string[] }[]
  } | null
  const member = body?.members?.[index]
  if (member?.decision === undefined) return []
  return [{ ...record, decision: member.decision, reasons: member.reasons ?? [], body: member }]
}

function toMinute(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000
}

function isInScope(
  analysis: AnalysisDefinition,
  query: { environment: string; toMs: number },
): boolean {
  const environmentMatches =
    query.environment === '' ||
    analysis.environment === '' ||
    analysis.environment === query.environment
  return environmentMatches && analysis.startMs < query.toMs
}

async function loadWindow(
  context: ReportContext,
  window: {
    scope: string
    service: string
    environment: string
    fromMs: number
    toMs: number
    analyses: readonly Omit<
      AnalysisReport,
      'baseline' | 'canary' | 'baselineEvents' | 'canaryEvents'
    >[]
  },
): Promise<ReportModel> {
  const { store } = context
  const sources = context.sources ?? ownSpanSources(store)
  const tables = await sources.tablesFor(undefined)
  const range = {
    service: window.service,
    environment: window.environment,
    fromMs: window.fromMs,
    toMs: window.toMs,
  }
  const changes = await queryChanges(store, range, tables)
  const releases = await queryReleaseSeries(store, range, tables)
  const flagSeries = new Map<string, SeriesPoint[]>()
  for (const change of changes.filter((candidate) => candidate.kind === 'flag')) {
    const selector = { flag: { key: change.flagKey, variant: change.flagVariant } }
    flagSeries.set(
      changeKey(change),
      await queryCohortSeries(store, { ...range, selector }, tables),
    )
  }
  const analyses: AnalysisReport[] = []
  for (const entry of window.analyses) {
    const cohort = {
      ...range,
      environment: entry.analysis.environment,
      source: parsePolicy(entry.analysis.policy).source,
    }
    const analysisTables = await sources.tablesFor(cohort.source)
    analyses.push({
      ...entry,
      baseline: await queryCohortSeries(
        store,
        { ...cohort, selector: entry.analysis.baseline },
        analysisTables,
      ),
      canary: await queryCohortSeries(
        store,
        { ...cohort, selector: entry.analysis.canary },
        analysisTables,
      ),
      baselineEvents: await queryEventSeries(store, {
        ...cohort,
        selector: entry.analysis.baseline,
      }),
      canaryEvents: await queryEventSeries(store, { ...cohort, selector: entry.analysis.canary }),
      // Frozen under the analysis id (a train member's is `<train id>.<index>`).
      blastRadius: await createStoreBlastRadiusMinutes(store).load(entry.analysis.id),
    })
  }
  return {
    scope: window.scope,
    service: window.service,
    environment: window.environment,
    fromMs: window.fromMs,
    toMs: window.toMs,
    generatedAtMs: context.nowMs,
    version: context.version,
    changes,
    releases,
    flagSeries,
    analyses,
  }
}
