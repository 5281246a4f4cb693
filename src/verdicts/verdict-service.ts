import { randomUUID } from 'node:crypto'
import { judge, parsePolicy, type Verdict } from '../analysis/index.ts'
import { RhError } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AnalysesRepository, VerdictRecord } from '../store/analyses-repository.ts'
import type { AnalysisDefinition, CohortSelector } from './analysis-definition.ts'
import type { CohortSource } from './cohort-source.ts'

export interface NewAnalysis {
  readonly service: string
  readonly environment?: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly startTime: string
  readonly policy?: unknown
}

/** The verdict as served by the API: the judge's verdict with the analysis and window. */
export type VerdictDocument = Verdict & {
  readonly analysisId: string
  readonly evaluatedAt: string
  readonly window: { readonly from: string; readonly to: string }
}

export interface VerdictServiceOptions {
  readonly repository: AnalysesRepository
  readonly cohorts: CohortSource
  readonly now: () => number
  readonly logger?: Logger
  /** Latency samples pulled per cohort at most. */
  readonly maxLatencySamples?: number
}

export interface VerdictService {
  create(input: NewAnalysis): Promise<AnalysisDefinition>
  /** undefined when no analysis has this id. */
  find(id: string): Promise<AnalysisDefinition | undefined>
  list(options: { service?: string; limit: number }): Promise<AnalysisDefinition[]>
  /** Recorded evaluations, newest first; undefined when no analysis has this id. */
  history(id: string, limit: number): Promise<VerdictRecord[] | undefined>
  /** The verdict now, or as it was at `atMs` using only data before it. */
  evaluate(
    id: string,
    options: { atMs?: number; requester: string },
  ): Promise<VerdictDocument | undefined>
}

const DEFAULT_MAX_LATENCY_SAMPLES = 20_000

export function createVerdictService(options: VerdictServiceOptions): VerdictService {
  const logger = options.logger ?? silentLogger
  const maxLatencySamples = options.maxLatencySamples ?? DEFAULT_MAX_LATENCY_SAMPLES

  return {
    async create(input) {
      parsePolicy(input.policy ?? {})
      validateSelectors(input.baseline, input.canary)
      const analysis: AnalysisDefinition = {
        id: randomUUID(),
        version: 1,
        createdAtMs: options.now(),
        service: input.service,
        environment: input.environment ?? '',
        baseline: input.baseline,
        canary: input.canary,
        startMs: parseTime('startTime', input.startTime),
        policy: input.policy ?? {},
      }
      await options.repository.save(analysis)
      logger.info({ analysisId: analysis.id, service: analysis.service }, 'analysis created')
      return analysis
    },

    find: (id) => options.repository.find(id),

    list: (listOptions) => options.repository.list(listOptions),

    async history(id, limit) {
      if ((await options.repository.find(id)) === undefined) return undefined
      return options.repository.listVerdicts(id, limit)
    },

    async evaluate(id, { atMs, requester }) {
      const analysis = await options.repository.find(id)
      if (analysis === undefined) return undefined
      const nowMs = options.now()
      if (atMs !== undefined && atMs > nowMs) {
        throw new RhError(
          'RH_API_INVALID_REQUEST',
          '"at" is in the future; a verdict can only be replayed for a past time',
        )
      }
      const evaluatedAtMs = atMs ?? nowMs
      const policy = parsePolicy(analysis.policy)
      const toMs = Math.max(analysis.startMs, evaluatedAtMs)
      const query = {
        service: analysis.service,
        environment: analysis.environment,
        fromMs: analysis.startMs,
        toMs,
        maxLatencySamples,
      }
      const [baseline, canary] = await Promise.all([
        options.cohorts.fetchCohort({ ...query, selector: analysis.baseline }),
        options.cohorts.fetchCohort({ ...query, selector: analysis.canary }),
      ])
      const verdict = judge({ policy, baseline, canary, startMs: analysis.startMs, evaluatedAtMs })
      const document: VerdictDocument = {
        ...verdict,
        analysisId: analysis.id,
        evaluatedAt: new Date(evaluatedAtMs).toISOString(),
        window: {
          from: new Date(analysis.startMs).toISOString(),
          to: new Date(toMs).toISOString(),
        },
      }
      logger.info(
        { analysisId: id, decision: verdict.decision, evaluatedAtMs, replay: atMs !== undefined },
        'verdict evaluated',
      )
      if (atMs === undefined) {
        await options.repository.recordVerdict({
          analysisId: id,
          evaluatedAtMs,
          recordedAtMs: nowMs,
          decision: verdict.decision,
          reasons: verdict.reasons,
          policyVersion: analysis.version,
          requester,
          body: document,
        })
      }
      return document
    },
  }
}

function validateSelectors(baseline: CohortSelector, canary: CohortSelector): void {
  for (const [name, selector] of [
    ['baseline', baseline],
    ['canary', canary],
  ] as const) {
    if (selector.release === undefined && selector.flag === undefined) {
      throw new RhError(
        'RH_API_INVALID_REQUEST',
        `${name} must select a release, a flag variant, or both`,
      )
    }
  }
  if (JSON.stringify(baseline) === JSON.stringify(canary)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      'baseline and canary select the same traffic; they must differ',
    )
  }
}

function parseTime(field: string, value: string): number {
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${field} must be an RFC 3339 time such as 2026-11-22T10:00:00Z, got ${JSON.stringify(value)}`,
    )
  }
  return ms
}
