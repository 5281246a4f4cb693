import { randomUUID } from 'node:crypto'
import { judge, parsePolicy, type Verdict } from '../analysis/index.ts'
import { RhError } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AnalysesRepository, VerdictRecord } from '../store/analyses-repository.ts'
import type { AnalysisDefinition, CohortSelector } from './analysis-definition.ts'
import type { CohortSource } from './cohort-source.ts'
import { createVerdictCache } from './verdict-cache.ts'
import { withSourceReason } from './source-reason.ts'
import { assertTimeInRange, parseRequestTime } from './time-range.ts'
import type { FrozenMinutesStore, LateData } from './frozen-minutes.ts'
import { createCanaryEvidence } from './canary-evidence.ts'
import { NO_TEMPLATES, type PolicyTemplates } from './policy-templates.ts'
import { noopInstruments, type Instruments } from '../telemetry/instruments.ts'
import { toCanaryLabel, type BlastRadius } from './blast-radius.ts'
import {
  assertSourceAvailable,
  OWN_SOURCES_ONLY,
  type AvailableSources,
} from './source-availability.ts'

export interface NewAnalysis {
  readonly service: string
  readonly environment?: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  /** RFC 3339; omitted = now. */
  readonly startTime?: string
  /** Omitted: the service's policy template, or the defaults. */
  readonly policy?: unknown
}

/** The verdict as served by the API: the judge's verdict with the analysis and window. */
export type VerdictDocument = Verdict & {
  readonly analysisId: string
  readonly evaluatedAt: string
  readonly window: { readonly from: string; readonly to: string }
  /** The watermark: minutes that ended after it are not used yet. */
  readonly watermark: string
  /** Spans that arrived for minutes after they were frozen: in the audit, not in the tests. */
  readonly lateData: { readonly baseline: LateData; readonly canary: LateData }
}

export interface VerdictServiceOptions {
  readonly repository: AnalysesRepository
  readonly cohorts: CohortSource
  readonly now: () => number
  readonly logger?: Logger
  /**
   * Latency samples per cohort at most over an analysis' whole maximum duration; spread
   * evenly over its minutes (see `CohortQuery.latencySamplesPerMinute`).
   */
  readonly maxLatencySamples?: number
  /** How long a computed verdict is served again for the same analysis and watermark. */
  readonly cacheMs?: number
  readonly instruments?: Instruments
  readonly templates?: PolicyTemplates
  /**
   * The ingest-lag allowance: a minute is used (and frozen) only once it ended this long ago,
   * so that late spans have arrived; what arrives later still is reported, not tested.
   */
  readonly ingestLagMs?: number
  /**
   * Where frozen minutes survive a restart (the store's `frozen_minutes` table); omitted, they
   * are kept in memory only and freeze again from the store's data after a restart.
   */
  readonly frozenMinutes?: FrozenMinutesStore
  /**
   * Other services on the canary's traces (src/verdicts/blast-radius.ts); omitted, the blast
   * radius is not judged.
   */
  readonly blastRadius?: BlastRadius
  /**
   * The sources the cohorts can be read from: a policy asking for another is refused with
   * `RH_POLICY_SOURCE_UNAVAILABLE` (400). Omitted: release-health's own spans and metrics.
   */
  readonly sources?: AvailableSources
}

/** Who asked for a verdict: controllers' requests are always recorded in the audit trail. */
export interface Requester {
  /** Free text from the request (`?requester=`, User-Agent): recorded as data, see {@link toRequesterName}. */
  readonly name: string
  readonly isController: boolean
}

/** Longest requester name kept in the audit trail, in characters. */
export const MAX_REQUESTER_LENGTH = 128

/**
 * The requester as recorded: control characters (which would forge lines in logs and
 * terminals) become spaces, and the name is cut to {@link MAX_REQUESTER_LENGTH} characters
 * without splitting a character. Anything else, quotes and backslashes included, is kept: it
 * is stored as data and never reaches SQL text or a setting.
 */
export function toRequesterName(name: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim()
  const cut = [...printable].slice(0, MAX_REQUESTER_LENGTH).join('')
  return cut === '' ? 'unknown' : cut
}

export interface VerdictService {
  /** `id` is chosen by the caller when analyses must be found again by a natural key. */
  create(input: NewAnalysis, options?: { id?: string }): Promise<AnalysisDefinition>
  /** undefined when no analysis has this id. */
  find(id: string): Promise<AnalysisDefinition | undefined>
  /**
   * Replaces the policy from now on, as a new version; earlier verdicts and replays before now
   * keep the version they were judged with. undefined when no analysis has this id. Throws
   * `RH_API_CONFLICT` when the analysis is no longer at `expectedVersion`, or when another
   * update (in this process or another) stored the next version first.
   */
  updatePolicy(
    id: string,
    policy: unknown,
    options?: { expectedVersion?: number },
  ): Promise<AnalysisDefinition | undefined>
  list(options: { service?: string; limit: number }): Promise<AnalysisDefinition[]>
  /** Recorded evaluations, newest first; undefined when no analysis has this id. */
  history(id: string, limit: number): Promise<VerdictRecord[] | undefined>
  /** The verdict now, or as it was at `atMs` using only data before it. */
  evaluate(
    id: string,
    options: { atMs?: number; requester: Requester },
  ): Promise<VerdictDocument | undefined>
}

export const DEFAULT_MAX_LATENCY_SAMPLES = 30_000
const DEFAULT_CACHE_MS = 2_000
const DEFAULT_INGEST_LAG_MS = 30_000
const MAX_CACHED_VERDICTS = 10_000
const MINUTE_MS = 60_000

export function createVerdictService(options: VerdictServiceOptions): VerdictService {
  const logger = options.logger ?? silentLogger
  const instruments = options.instruments ?? noopInstruments
  const templates = options.templates ?? NO_TEMPLATES
  const maxLatencySamples = options.maxLatencySamples ?? DEFAULT_MAX_LATENCY_SAMPLES
  const sources = options.sources ?? OWN_SOURCES_ONLY
  const cache = createVerdictCache<
    { readonly analysis: AnalysisDefinition; readonly document: VerdictDocument } | undefined
  >({
    ttlMs: options.cacheMs ?? DEFAULT_CACHE_MS,
    maxEntries: MAX_CACHED_VERDICTS,
  })
  const ingestLagMs = options.ingestLagMs ?? DEFAULT_INGEST_LAG_MS
  const reader = createCanaryEvidence({
    cohorts: options.cohorts,
    now: options.now,
    logger,
    ingestLagMs,
    maxLatencySamples,
    maxKeys: MAX_CACHED_VERDICTS,
    ...(options.frozenMinutes === undefined ? {} : { frozenMinutes: options.frozenMinutes }),
    ...(options.blastRadius === undefined ? {} : { blastRadius: options.blastRadius }),
  })
  // Documents already compared with the audit trail: a cached verdict served again is not
  // compared again. The last decision itself is read from the store, which every process
  // shares; a decision kept in this process would be stale as soon as another one records.
  const auditedDocuments = new WeakSet<VerdictDocument>()

  return {
    async create(input, createOptions = {}) {
      const environment = input.environment ?? ''
      const policy = input.policy ?? templates.find(input.service, environment) ?? {}
      assertSourceAvailable(parsePolicy(policy).source, sources)
      validateSelectors(input.baseline, input.canary)
      const analysis: AnalysisDefinition = {
        id: createOptions.id ?? randomUUID(),
        version: 1,
        createdAtMs: options.now(),
        service: input.service,
        environment,
        baseline: input.baseline,
        canary: input.canary,
        startMs:
          input.startTime === undefined
            ? options.now()
            : parseRequestTime('startTime', input.startTime),
        policy,
      }
      const saved = await options.repository.save(analysis, {
        freshId: createOptions.id === undefined,
      })
      if (saved === 'conflict') {
        // Only a caller-chosen id can collide: the same natural key created by two processes
        // at once. Both get the one that was stored.
        const stored = await options.repository.find(analysis.id)
        if (stored !== undefined) return stored
      }
      logger.info({ analysisId: analysis.id, service: analysis.service }, 'analysis created')
      return analysis
    },

    find: (id) => options.repository.find(id),

    async updatePolicy(id, policy, updateOptions = {}) {
      assertSourceAvailable(parsePolicy(policy).source, sources)
      const current = await options.repository.find(id)
      if (current === undefined) return undefined
      const { expectedVersion } = updateOptions
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw conflict(id, `it is at version ${current.version}, not ${expectedVersion}`)
      }
      const next = { ...current, version: current.version + 1, createdAtMs: options.now(), policy }
      if ((await options.repository.save(next)) === 'conflict') {
        throw conflict(id, `another update stored version ${next.version} first`)
      }
      logger.info({ analysisId: id, version: next.version }, 'analysis policy changed')
      return next
    },

    list: (listOptions) => options.repository.list(listOptions),

    async history(id, limit) {
      if ((await options.repository.find(id)) === undefined) return undefined
      return options.repository.listVerdicts(id, limit)
    },

    async evaluate(id, { atMs, requester }) {
      const nowMs = options.now()
      if (atMs !== undefined) assertTimeInRange('"at"', atMs)
      if (atMs !== undefined && atMs > nowMs) {
        throw new RhError(
          'RH_API_INVALID_REQUEST',
          '"at" is in the future; a verdict can only be replayed for a past time',
        )
      }
      // The judge reads complete minutes, so a new minute is a new data watermark; the short
      // expiry covers late spans for minutes already complete and a new policy version.
      const watermark = atMs === undefined ? Math.floor(nowMs / MINUTE_MS) : `at${atMs}`
      const evaluation = await cache.get(`${id}:${watermark}`, nowMs, async () => {
        const analysis = await options.repository.find(id, atMs)
        if (analysis === undefined) return undefined
        return { analysis, document: await compute(analysis, atMs ?? nowMs) }
      })
      if (evaluation === undefined) return undefined
      if (atMs === undefined)
        await audit(evaluation.analysis, evaluation.document, nowMs, requester)
      return evaluation.document
    },
  }

  async function compute(
    analysis: AnalysisDefinition,
    evaluatedAtMs: number,
  ): Promise<VerdictDocument> {
    const startedMs = performance.now()
    const policy = parsePolicy(analysis.policy)
    const evidence = await reader.read({ ...analysis, key: analysis.id }, policy, evaluatedAtMs)
    const { baseline, canary, related, watermarkMs, toMs } = evidence
    const verdict = withSourceReason(
      judge({
        policy,
        baseline,
        canary,
        startMs: analysis.startMs,
        evaluatedAtMs,
        ingestLagMs,
        canaryLabel: toCanaryLabel(analysis.service, analysis.canary),
        ...(related === undefined ? {} : { related }),
      }),
      policy.source,
    )
    instruments.verdictEvaluated(verdict.decision, performance.now() - startedMs)
    logger.info(
      {
        analysisId: analysis.id,
        decision: verdict.decision,
        evaluatedAtMs,
        baselineRequests: baseline.ok ? baseline.data.requests : null,
        canaryRequests: canary.ok ? canary.data.requests : null,
        lateBaselineRequests: evidence.late.baseline.requests,
        lateCanaryRequests: evidence.late.canary.requests,
        evaluationMs: Math.round(performance.now() - startedMs),
      },
      'verdict evaluated',
    )
    return {
      ...verdict,
      analysisId: analysis.id,
      evaluatedAt: new Date(evaluatedAtMs).toISOString(),
      window: {
        from: new Date(analysis.startMs).toISOString(),
        to: new Date(toMs).toISOString(),
      },
      watermark: new Date(watermarkMs).toISOString(),
      lateData: evidence.late,
    }
  }

  /**
   * Records the verdict when a controller asked for it, or when its decision differs from the
   * newest one recorded by any process. A document older than that entry is not recorded: it
   * would read as a change back to a decision already superseded.
   */
  async function audit(
    analysis: AnalysisDefinition,
    document: VerdictDocument,
    nowMs: number,
    requester: Requester,
  ): Promise<void> {
    // Checked first: a cached verdict polled again by a person or a dashboard costs nothing more.
    if (!requester.isController && auditedDocuments.has(document)) return
    const record: VerdictRecord = {
      analysisId: analysis.id,
      evaluatedAtMs: Date.parse(document.evaluatedAt),
      recordedAtMs: nowMs,
      decision: document.decision,
      reasons: document.reasons,
      policyVersion: analysis.version,
      requester: toRequesterName(requester.name),
      body: document,
    }
    if (requester.isController) {
      await options.repository.recordVerdict(record)
      return
    }
    auditedDocuments.add(document)
    const [last] = await options.repository.listVerdicts(analysis.id, 1)
    if (last !== undefined) {
      if (last.decision === record.decision || last.evaluatedAtMs > record.evaluatedAtMs) return
    }
    await options.repository.recordDecisionChange(record, last)
  }
}

function conflict(id: string, why: string): RhError {
  return new RhError(
    'RH_API_CONFLICT',
    `analysis ${JSON.stringify(id)} changed before this update: ${why}; read it again and reapply the change`,
  )
}

export function validateSelectors(baseline: CohortSelector, canary: CohortSelector): void {
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
