import { describe, expect, it } from 'vitest'
import { toReleaseOverview } from '../../../src/verdicts/release-overview.ts'
import type { OverviewCohortRow } from '../../../src/store/overview-queries.ts'

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0)
const MINUTE = 60_000

function row(fields: Partial<OverviewCohortRow>): OverviewCohortRow {
  return {
    service: 'checkout',
    environment: 'production',
    release: '',
    flagKey: '',
    flagVariant: '',
    firstSeenMs: T0 - 600 * MINUTE,
    lastSeenMs: T0,
    recentRequests: 0,
    recentErrors: 0,
    ...fields,
  }
}

const window = { fromMs: T0 - 60 * MINUTE, toMs: T0, recentFromMs: T0 - 15 * MINUTE }

describe('toReleaseOverview', () => {
  const overview = toReleaseOverview({
    window,
    sloOf: () => 0.999,
    cohorts: [
      row({ release: '1.4.2', recentRequests: 800, recentErrors: 0 }),
      row({
        release: '1.5.0',
        firstSeenMs: T0 - 20 * MINUTE,
        recentRequests: 200,
        recentErrors: 4,
      }),
      row({ release: '1.3.0', lastSeenMs: T0 - 30 * MINUTE }),
      row({
        flagKey: 'new-form',
        flagVariant: 'on',
        firstSeenMs: T0 - 10 * MINUTE,
        recentRequests: 300,
      }),
      row({ flagKey: 'new-form', flagVariant: 'off', recentRequests: 700, recentErrors: 7 }),
    ],
    changes: [
      {
        id: 'a1',
        evaluatedAtMs: T0 - 5 * MINUTE,
        decision: 'rollback',
        reason: 'error-rate: worse',
      },
      { id: 'unknown', evaluatedAtMs: T0 - 4 * MINUTE, decision: 'promote', reason: '' },
    ],
    analyses: [
      {
        id: 'a1',
        version: 1,
        createdAtMs: T0 - 20 * MINUTE,
        service: 'checkout',
        environment: '',
        baseline: { release: '1.4.2' },
        canary: { release: '1.5.0' },
        startMs: T0 - 20 * MINUTE,
        policy: {},
      },
    ],
    trains: [],
  })
  const [checkout] = overview.services

  it('gives each release its share of the recent requests, the busiest first, and the idle ones none', () => {
    expect(checkout?.releases.map((r) => [r.name, r.share, r.inFlight])).toEqual([
      ['1.4.2', 0.8, true],
      ['1.5.0', 0.2, true],
      ['1.3.0', 0, false],
    ])
  })

  it('burns the budget at the error rate over (1 − SLO), and says n/a without requests', () => {
    const canary = checkout?.releases.find((r) => r.name === '1.5.0')
    expect(canary?.errorRate).toBeCloseTo(0.02, 12)
    expect(canary?.burnRate).toBeCloseTo(20, 9)
    expect(checkout?.releases.find((r) => r.name === '1.3.0')?.burnRate).toBeNull()
  })

  it('gives flag variants their share of the flag’s requests', () => {
    expect(checkout?.flags).toMatchObject([
      {
        key: 'new-form',
        variants: [
          { name: 'off', share: 0.7 },
          { name: 'on', share: 0.3 },
        ],
      },
    ])
  })

  it('names the analyses of a service, an all-environment analysis included', () => {
    expect(checkout?.analyses.map((a) => a.id)).toEqual(['a1'])
  })

  it('puts releases and variants first seen in the window and known decisions on the calendar, oldest first', () => {
    expect(overview.timeline.map((e) => [e.kind, e.time])).toEqual([
      ['release', new Date(T0 - 20 * MINUTE).toISOString()],
      ['flag', new Date(T0 - 10 * MINUTE).toISOString()],
      ['decision', new Date(T0 - 5 * MINUTE).toISOString()],
    ])
    expect(overview.timeline[2]).toMatchObject({ subject: 'checkout 1.5.0', decision: 'rollback' })
  })
})
