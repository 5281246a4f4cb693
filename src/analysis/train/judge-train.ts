import { RhError } from '../../errors.ts'
import { countRollbackRules, judge } from '../judge/judge.ts'
import type {
  CohortResult,
  Decision,
  JudgeInput,
  RelatedResult,
  Verdict,
} from '../judge/judge-types.ts'
import type { Policy } from '../policy/policy-types.ts'

/** One service's canary in a release train. */
export interface TrainMemberInput {
  /** How the member is named in reasons and causes, e.g. "checkout". */
  readonly name: string
  /** The member's policy; its `alpha` is replaced by the train's (one error-control policy). */
  readonly policy: Policy
  readonly baseline: CohortResult
  readonly canary: CohortResult
  /** Its blast radius; left out, not judged (as for a single analysis). */
  readonly related?: RelatedResult
  /** Start of the member's analysis, epoch ms (usually the train's start). */
  readonly startMs: number
  readonly canaryLabel?: string
}

export interface TrainInput {
  /** The chance of a false rollback of the train, and of a false promotion, over the whole train. */
  readonly alpha: number
  readonly members: readonly TrainMemberInput[]
  readonly evaluatedAtMs: number
  readonly ingestLagMs?: number
}

/** A metric that made the train roll back. */
export interface TrainCause {
  readonly member: string
  /** The metric's name, or `budget` when the budget guard tripped. */
  readonly metric: string
}

export interface TrainMemberVerdict {
  readonly name: string
  readonly verdict: Verdict
}

export interface TrainVerdict {
  readonly decision: Decision
  /** Sentences, the most important first, each naming its member. */
  readonly reasons: readonly string[]
  /** For `rollback`: every member and metric that caused it; empty otherwise. */
  readonly causes: readonly TrainCause[]
  readonly members: readonly TrainMemberVerdict[]
  readonly alpha: {
    readonly total: number
    /** Rollback rules over all members (critical metrics, budget guards, blast radii). */
    readonly rollbackRules: number
    readonly rollbackPerRule: number
    readonly promote: number
  }
}

/**
 * The verdict on a release train: several services' canaries that ship together and are
 * judged together under one error-control policy.
 *
 * - **Rollback** when any member's rule finds its canary worse: every member's rollback rules
 *   (critical metrics, budget guard, blast radius) share the train's α, each at α / R with R
 *   the rules of all members together, so the chance that a healthy train rolls back at any of
 *   its looks stays at most α (a union bound over anytime-valid e-processes, each kept below its
 *   level by Ville's inequality; Bonferroni 1936, Vovk & Wang 2021 for e-values).
 * - **Promote** when every member would promote: every metric of every member is shown within
 *   its tolerance at α, an intersection-union test (Berger 1982, Technometrics 24(4)), which
 *   needs no split and keeps a false promotion of the train at most α.
 * - **Continue** while any member is still gathering evidence, **inconclusive** when every
 *   member that is not promoted has reached its maximum duration.
 *
 * Pure and deterministic, like {@link judge}: the members are judged in the order given.
 *
 * @throws RhError `RH_API_INVALID_REQUEST` without members or with a bad α.
 */
export function judgeTrain(input: TrainInput): TrainVerdict {
  if (input.members.length === 0)
    throw new RhError('RH_API_INVALID_REQUEST', 'a release train needs at least one member')
  if (!(input.alpha > 0 && input.alpha <= 0.5))
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `the train's alpha must lie in (0, 0.5], got ${input.alpha}`,
    )
  const policies = input.members.map((member) => ({ ...member.policy, alpha: input.alpha }))
  const rules = input.members.map((member, index) =>
    countRollbackRules({
      policy: policies[index] as Policy,
      ...(member.related === undefined ? {} : { related: member.related }),
    }),
  )
  const total = rules.reduce((sum, count) => sum + count, 0)
  const members = input.members.map((member, index) => {
    const judgeInput: JudgeInput = {
      policy: policies[index] as Policy,
      baseline: member.baseline,
      canary: member.canary,
      startMs: member.startMs,
      evaluatedAtMs: input.evaluatedAtMs,
      // A member's share of the train's α: its own rules over all of them (at least a sliver
      // for a member without rollback rules, which then spends none of it).
      alphaShare: Math.max(rules[index] as number, 1) / Math.max(total, 1),
      ...(input.ingestLagMs === undefined ? {} : { ingestLagMs: input.ingestLagMs }),
      ...(member.related === undefined ? {} : { related: member.related }),
      ...(member.canaryLabel === undefined ? {} : { canaryLabel: member.canaryLabel }),
    }
    return { name: member.name, verdict: judge(judgeInput) }
  })
  const decision = combine(members.map((member) => member.verdict.decision))
  return {
    decision,
    reasons: describe(decision, members),
    causes: decision === 'rollback' ? members.flatMap(toCauses) : [],
    members,
    alpha: {
      total: input.alpha,
      rollbackRules: total,
      rollbackPerRule: input.alpha / Math.max(total, 1),
      promote: input.alpha,
    },
  }
}

/** rollback if any member rolls back; promote if all promote; continue while any continues. */
export function combine(decisions: readonly Decision[]): Decision {
  if (decisions.includes('rollback')) return 'rollback'
  if (decisions.every((decision) => decision === 'promote')) return 'promote'
  if (decisions.includes('continue')) return 'continue'
  return 'inconclusive'
}

function toCauses(member: TrainMemberVerdict): TrainCause[] {
  if (member.verdict.decision !== 'rollback') return []
  const metrics = member.verdict.metrics
    .filter((metric) => metric.critical && metric.decision === 'worse')
    .map((metric) => ({ member: member.name, metric: metric.name }))
  const budget = member.verdict.budget.windows.some((window) => window.tripped)
    ? [{ member: member.name, metric: 'budget' }]
    : []
  return [...metrics, ...budget]
}

function describe(decision: Decision, members: readonly TrainMemberVerdict[]): string[] {
  const prefixed = (member: TrainMemberVerdict): string[] =>
    member.verdict.reasons.map((reason) => `${member.name}: ${reason}`)
  switch (decision) {
    case 'rollback': {
      const culprits = members.filter((member) => member.verdict.decision === 'rollback')
      return [
        `the train rolls back because ${culprits.map((member) => member.name).join(' and ')} ${culprits.length === 1 ? 'is' : 'are'} worse than the baseline; every member goes back`,
        ...culprits.flatMap(prefixed),
      ]
    }
    case 'promote':
      return [
        `every member of the train is within its tolerances: ${members.map((member) => member.name).join(', ')}`,
        ...members.flatMap((member) => prefixed(member).slice(0, 1)),
      ]
    case 'continue': {
      const waiting = members.filter((member) => member.verdict.decision !== 'promote')
      return [
        `the train waits for ${waiting.map((member) => member.name).join(', ')}; it promotes only when every member may`,
        ...waiting.flatMap(prefixed),
      ]
    }
    case 'inconclusive': {
      const stuck = members.filter((member) => member.verdict.decision === 'inconclusive')
      return [
        `the train reached its members' maximum durations without the evidence to promote ${stuck.map((member) => member.name).join(', ')}; a human decides`,
        ...stuck.flatMap(prefixed),
      ]
    }
  }
}
