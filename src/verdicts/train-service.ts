import { randomUUID } from 'node:crypto'
import {
  judgeTrain,
  parsePolicy,
  type Policy,
  type TrainCause,
  type TrainVerdict,
  type Verdict,
} from '../analysis/index.ts'
import { RhError } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AnalysesRepository, VerdictRecord } from '../store/analyses-repository.ts'
import type { TrainsRepository } from '../store/trains-repository.ts'
import type { CohortSelector } from './analysis-definition.ts'
import { toCanaryLabel } from './blast-radius.ts'
import type { CanaryEvidenceReader } from './canary-evidence.ts'
import type { LateData } from './frozen-minutes.ts'
import { NO_TEMPLATES, type PolicyTemplates } from './policy-templates.ts'
import {
  assertSourceAvailable,
  OWN_SOURCES_ONLY,
  type AvailableSources,
} from './source-availability.ts'
import { assertTimeInRange, parseRequestTime } from './time-range.ts'
import type { TrainDefinition, TrainMember } from './train-definition.ts'
import { createVerdictCache } from './verdict-cache.ts'
import { toRequesterName, validateSelectors, type Requester } from './verdict-service.ts'

export interface NewTrainMember {
  readonly service: string
  /** Omitted: the train's environment. */
  readonly environment?: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly policy?: unknown
}

export interface NewTrain {
  readonly name: string
  readonly environment?: string
  /** RFC 3339; omitted = now. */
  readonly startTime?: string
  /** `alpha` is the whole train's; the rest applies to members without a policy of their own. */
  readonly policy?: unknown
  readonly members: readonly NewTrainMember[]
}

/** One member's part of a train verdict: what it would be judged alone, at its α share. */
export type TrainMemberDocument = Verdict & {
  readonly service: string
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly lateData: { readonly baseline: LateData; readonly canary: LateData }
}

/** The train's verdict as the API serves it. */
export interface TrainVerdictDocument {
  readonly trainId: string
  readonly name: string
  readonly decision: TrainVerdict['decision']
  readonly evaluatedAt: string
  readonly window: { readonly from: string; readonly to: string }
  readonly watermark: string
  readonly reasons: readonly string[]
  /** For rollback: the member services and metrics that caused it. */
  readonly causes: readonly TrainCause[]
  readonly alpha: TrainVerdict['alpha']
  readonly members: readonly TrainMemberDocument[]
}

export interface TrainServiceOptions {
  readonly trains: TrainsRepository
  /** Where the train's verdicts are recorded: the `verdicts` table, under the train's id. */
  readonly audit: Pick<AnalysesRepository, 'recordVerdict' | 'listVerdicts'>
  readonly evidence: CanaryEvidenceReader
  readonly now: () => number
  readonly ingestLagMs: number
  readonly logger?: Logger
  readonly templates?: PolicyTemplates
  readonly cacheMs?: number
  /** The sources members' cohorts can be read from (see `VerdictServiceOptions.sources`). */
  readonly sources?: AvailableSources
}

export interface TrainService {
  create(input: NewTrain, options?: { id?: string }): Promise<TrainDefinition>
  find(id: string): Promise<TrainDefinition | undefined>
  list(options: { service?: string; limit: number }): Promise<TrainDefinition[]>
  history(id: string, limit: number): Promise<VerdictRecord[] | undefined>
  /** The train's verdict now, or as it was at `atMs` from data before it; undefined: no such train. */
  evaluate(
    id: string,
    options: { atMs?: number; requester: Requester },
  ): Promise<TrainVerdictDocument | undefined>
}

/** More members than this would leave each rule a sliver of α; split the train. */
export const MAX_TRAIN_MEMBERS = 16
const MINUTE_MS = 60_000
const MAX_CACHED = 1_000

/**
 * Release trains: several services' canaries created together and judged together by
 * {@link judgeTrain} under the train's one α. Each member's data is read and frozen exactly
 * as a single analysis' is (src/verdicts/canary-evidence.ts), under the key
 * `<train id>.<member index>`; the verdicts go to the same audit trail as analyses'.
 */
export function createTrainService(options: TrainServiceOptions): TrainService {
  const logger = options.logger ?? silentLogger
  const templates = options.templates ?? NO_TEMPLATES
  const cache = createVerdictCache<
    { readonly train: TrainDefinition; readonly document: TrainVerdictDocument } | undefined
  >({ ttlMs: options.cacheMs ?? 2_000, maxEntries: MAX_CACHED })
  const lastDecisions = new Map<string, string>()

  function memberPolicy(train: TrainDefinition, member: TrainMember): Policy {
    const own = member.policy ?? templates.find(member.service, member.environment)
    return parsePolicy(own ?? train.policy ?? {})
  }

  return {
    async create(input, createOptions = {}) {
      const train = toDefinition(input, createOptions.id ?? `train-${randomUUID()}`, options.now())
      for (const member of train.members) {
        assertSourceAvailable(
          memberPolicy(train, member).source,
          options.sources ?? OWN_SOURCES_ONLY,
        )
      }
      await options.trains.save(train)
      logger.info(
        { trainId: train.id, members: train.members.map((member) => member.service) },
        'release train created',
      )
      return train
    },

    find: (id) => options.trains.find(id),
    list: (listOptions) => options.trains.list(listOptions),

    async history(id, limit) {
      if ((await options.trains.find(id)) === undefined) return undefined
      return options.audit.listVerdicts(id, limit)
    },

    async evaluate(id, { atMs, requester }) {
      const nowMs = options.now()
      if (atMs !== undefined) assertTimeInRange('"at"', atMs)
      if (atMs !== undefined && atMs > nowMs)
        throw new RhError(
          'RH_API_INVALID_REQUEST',
          '"at" is in the future; a verdict can only be replayed for a past time',
        )
      const watermark = atMs === undefined ? Math.floor(nowMs / MINUTE_MS) : `at${atMs}`
      const evaluation = await cache.get(`${id}:${watermark}`, nowMs, async () => {
        const train = await options.trains.find(id, atMs)
        if (train === undefined) return undefined
        return { train, document: await compute(train, atMs ?? nowMs) }
      })
      if (evaluation === undefined) return undefined
      if (atMs === undefined) await audit(evaluation.train, evaluation.document, nowMs, requester)
      return evaluation.document
    },
  }

  async function compute(train: TrainDefinition, evaluatedAtMs: number) {
    const policies = train.members.map((member) => memberPolicy(train, member))
    const evidence = await Promise.all(
      train.members.map((member, index) =>
        options.evidence.read(
          { ...member, key: `${train.id}.${index}`, startMs: train.startMs },
          policies[index] as Policy,
          evaluatedAtMs,
        ),
      ),
    )
    const verdict = judgeTrain({
      alpha: parsePolicy(train.policy ?? {}).alpha,
      evaluatedAtMs,
      ingestLagMs: options.ingestLagMs,
      members: train.members.map((member, index) => {
        const read = evidence[index]!
        return {
          name: member.service,
          policy: policies[index] as Policy,
          baseline: read.baseline,
          canary: read.canary,
          startMs: train.startMs,
          canaryLabel: toCanaryLabel(member.service, member.canary),
          ...(read.related === undefined ? {} : { related: read.related }),
        }
      }),
    })
    logger.info(
      {
        trainId: train.id,
        decision: verdict.decision,
        evaluatedAtMs,
        members: verdict.members.map((member) => `${member.name}:${member.verdict.decision}`),
        causes: verdict.causes,
      },
      'train verdict evaluated',
    )
    const first = evidence[0]!
    const document: TrainVerdictDocument = {
      trainId: train.id,
      name: train.name,
      decision: verdict.decision,
      evaluatedAt: new Date(evaluatedAtMs).toISOString(),
      window: {
        from: new Date(train.startMs).toISOString(),
        to: new Date(first.toMs).toISOString(),
      },
      watermark: new Date(first.watermarkMs).toISOString(),
      reasons: verdict.reasons,
      causes: verdict.causes,
      alpha: verdict.alpha,
      members: verdict.members.map((member, index) => {
        const definition = train.members[index]!
        return {
          ...member.verdict,
          service: definition.service,
          environment: definition.environment,
          baseline: definition.baseline,
          canary: definition.canary,
          lateData: evidence[index]!.late,
        }
      }),
    }
    return document
  }

  async function audit(
    train: TrainDefinition,
    document: TrainVerdictDocument,
    nowMs: number,
    requester: Requester,
  ): Promise<void> {
    const previous =
      lastDecisions.get(train.id) ?? (await options.audit.listVerdicts(train.id, 1))[0]?.decision
    lastDecisions.set(train.id, document.decision)
    if (!requester.isController && previous === document.decision) return
    await options.audit.recordVerdict({
      analysisId: train.id,
      evaluatedAtMs: Date.parse(document.evaluatedAt),
      recordedAtMs: nowMs,
      decision: document.decision,
      reasons: document.reasons,
      policyVersion: train.version,
      requester: toRequesterName(requester.name),
      body: document,
    })
  }
}

/** The train as stored, checked: members, distinct services, cohorts and the time. */
export function toDefinition(input: NewTrain, id: string, nowMs: number): TrainDefinition {
  if (input.members.length === 0 || input.members.length > MAX_TRAIN_MEMBERS)
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `a release train has 1 to ${MAX_TRAIN_MEMBERS} members, got ${input.members.length}`,
    )
  const environment = input.environment ?? ''
  const seen = new Set<string>()
  const members = input.members.map((member): TrainMember => {
    // Members are named by service in causes and in controllers' polls: one canary each.
    if (seen.has(member.service))
      throw new RhError(
        'RH_API_INVALID_REQUEST',
        `service ${JSON.stringify(member.service)} is in the train twice; a train has one canary per service`,
      )
    seen.add(member.service)
    validateSelectors(member.baseline, member.canary)
    return {
      service: member.service,
      environment: member.environment ?? environment,
      baseline: member.baseline,
      canary: member.canary,
      ...(member.policy === undefined ? {} : { policy: member.policy }),
    }
  })
  const policy = input.policy ?? {}
  parsePolicy(policy)
  return {
    id,
    version: 1,
    createdAtMs: nowMs,
    name: input.name,
    environment,
    startMs: input.startTime === undefined ? nowMs : parseRequestTime('startTime', input.startTime),
    members,
    policy,
  }
}
