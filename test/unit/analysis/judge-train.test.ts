import { describe, expect, it } from 'vitest'
import {
  combineTrainDecisions,
  judge,
  judgeTrain,
  parsePolicy,
  type CohortResult,
  type Decision,
  type TrainMemberInput,
} from '../../../src/analysis/index.ts'
import { afterMinutes, buildCohort, type CohortSpec } from './cohort-builder.ts'

const POLICY = parsePolicy({ slo: { availability: 0.99 } })
const BASELINE: CohortSpec = {
  minutes: 60,
  requestsPerMinute: 4000,
  errorRate: 0.01,
  samplesPerMinute: 400,
}
const CANARY: CohortSpec = { ...BASELINE, requestsPerMinute: 1000, samplesPerMinute: 250 }

function ok(spec: CohortSpec): CohortResult {
  return { ok: true, data: buildCohort(spec) }
}

function member(name: string, canary: Partial<CohortSpec> = {}, minutes = 60): TrainMemberInput {
  return {
    name,
    policy: POLICY,
    baseline: ok({ ...BASELINE, minutes }),
    canary: ok({ ...CANARY, minutes, ...canary }),
    startMs: 0,
  }
}

describe('judgeTrain', () => {
  it('promotes when every member is within its tolerances', () => {
    const verdict = judgeTrain({
      alpha: 0.01,
      members: [member('checkout'), member('payment')],
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.decision).toBe('promote')
    expect(verdict.causes).toEqual([])
    expect(verdict.members.map((entry) => entry.verdict.decision)).toEqual(['promote', 'promote'])
    expect(verdict.reasons[0]).toBe(
      'every member of the train is within its tolerances: checkout, payment',
    )
  })

  it.each([0, 1])(
    'rolls back the whole train when member %i is worse, naming the member and the metric',
    (bad) => {
      const members = [member('checkout'), member('payment')]
      members[bad] = member(members[bad]!.name, { errorRate: 0.02 }, 10)
      const verdict = judgeTrain({ alpha: 0.01, members, evaluatedAtMs: afterMinutes(10) })
      const name = members[bad].name
      expect(verdict.decision).toBe('rollback')
      expect(verdict.causes).toContainEqual({ member: name, metric: 'error-rate' })
      expect(verdict.causes.every((cause) => cause.member === name)).toBe(true)
      expect(verdict.reasons[0]).toBe(
        `the train rolls back because ${name} is worse than the baseline; every member goes back`,
      )
      expect(verdict.reasons[1]).toMatch(new RegExp(`^${name}: error-rate: canary 2% `))
    },
  )

  it('splits one α over the rollback rules of every member', () => {
    const verdict = judgeTrain({
      alpha: 0.01,
      members: [member('checkout'), member('payment'), member('search')],
      evaluatedAtMs: afterMinutes(60),
    })
    // Each member has two critical metrics and a budget guard: nine rules in all.
    expect(verdict.alpha).toEqual({
      total: 0.01,
      rollbackRules: 9,
      rollbackPerRule: 0.01 / 9,
      promote: 0.01,
    })
    for (const entry of verdict.members) {
      expect(entry.verdict.alpha.rollbackPerRule).toBeCloseTo(0.01 / 9, 15)
      for (const metric of entry.verdict.metrics)
        expect(metric.alpha).toEqual({
          rollback: metric.critical ? expect.closeTo(0.01 / 9, 15) : expect.any(Number),
          promote: 0.01,
        })
    }
  })

  it('counts a member’s blast radius as one more rule of the split', () => {
    const withBlast = { ...member('checkout'), related: { ok: true, services: [] } } as const
    const verdict = judgeTrain({
      alpha: 0.01,
      members: [withBlast, member('payment')],
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.alpha.rollbackRules).toBe(7)
    expect(verdict.members[0]!.verdict.blastRadius?.alphaPerRule).toBeCloseTo(0.01 / 7 / 16, 15)
    expect(verdict.members[1]!.verdict.blastRadius).toBeNull()
  })

  it('uses the train’s α, not the members’ own', () => {
    const strict = { ...member('checkout'), policy: parsePolicy({ alpha: 0.2 }) }
    const verdict = judgeTrain({ alpha: 0.01, members: [strict], evaluatedAtMs: afterMinutes(60) })
    expect(verdict.members[0]!.verdict.alpha.total).toBe(0.01)
  })

  it('keeps a member from rolling back on evidence that suffices alone but not within the train', () => {
    // The evidence for a 50% higher error rate over few minutes, found where a single analysis
    // rolls back (at α/3) but a train of eight members does not (at α/24).
    const find = (): { minutes: number } | undefined => {
      for (let minutes = 2; minutes <= 30; minutes++) {
        const alone = judge({
          policy: POLICY,
          baseline: ok({ ...BASELINE, minutes }),
          canary: ok({ ...CANARY, minutes, errorRate: 0.015 }),
          startMs: 0,
          evaluatedAtMs: afterMinutes(minutes),
        })
        if (alone.decision === 'rollback') return { minutes }
      }
      return undefined
    }
    const found = find()
    expect(found).toBeDefined()
    const { minutes } = found!
    const members = [
      member('checkout', { errorRate: 0.015 }, minutes),
      ...Array.from({ length: 7 }, (_, index) => member(`service-${index}`, {}, minutes)),
    ]
    const verdict = judgeTrain({ alpha: 0.01, members, evaluatedAtMs: afterMinutes(minutes) })
    expect(verdict.decision).not.toBe('rollback')
    expect(verdict.members[0]!.verdict.metrics[0]!.eValue).toBeLessThan(24 / 0.01)
  })

  it('waits while any member continues, and says for whom', () => {
    const verdict = judgeTrain({
      alpha: 0.01,
      members: [member('checkout'), member('payment', {}, 5)],
      evaluatedAtMs: afterMinutes(60),
    })
    expect(verdict.decision).toBe('continue')
    expect(verdict.reasons[0]).toBe(
      'the train waits for payment; it promotes only when every member may',
    )
  })

  it('is deterministic', () => {
    const input = {
      alpha: 0.01,
      members: [member('checkout', { errorRate: 0.012 }, 30), member('payment', {}, 30)],
      evaluatedAtMs: afterMinutes(30),
    }
    expect(JSON.stringify(judgeTrain(input))).toBe(JSON.stringify(judgeTrain(input)))
  })

  it('refuses a train without members or with an α outside (0, 0.5]', () => {
    expect(() => judgeTrain({ alpha: 0.01, members: [], evaluatedAtMs: 0 })).toThrow(
      /at least one member/,
    )
    expect(() => judgeTrain({ alpha: 0, members: [member('a')], evaluatedAtMs: 0 })).toThrow(
      /alpha must lie in/,
    )
  })
})

describe('combineTrainDecisions', () => {
  it.each<[Decision[], Decision]>([
    [['promote', 'promote'], 'promote'],
    [['promote', 'rollback'], 'rollback'],
    [['continue', 'rollback'], 'rollback'],
    [['inconclusive', 'rollback'], 'rollback'],
    [['promote', 'continue'], 'continue'],
    [['inconclusive', 'continue'], 'continue'],
    [['inconclusive', 'promote'], 'inconclusive'],
    [['inconclusive', 'inconclusive'], 'inconclusive'],
  ])('combines %j into %s', (decisions, expected) => {
    expect(combineTrainDecisions(decisions)).toBe(expected)
  })
})
