import { describe, expect, it } from 'vitest'
import type { CohortResult } from '../../../src/analysis/index.ts'
import { createFrozenMinutes } from '../../../src/verdicts/frozen-minutes.ts'

function cohort(lastMinuteErrors: number): CohortResult {
  const minutes = [
    { startMs: 0, requests: 100, errors: 1 },
    { startMs: 60_000, requests: 100, errors: lastMinuteErrors },
  ]
  return {
    ok: true,
    data: { requests: 200, errors: 1 + lastMinuteErrors, latencyMs: [], minutes },
  }
}

describe('createFrozenMinutes', () => {
  it('keeps a minute as it was when it passed the watermark and reports late spans apart', () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    frozen.apply('a', 'canary', cohort(2), 120_000)
    const later = frozen.apply('a', 'canary', cohort(7), 180_000)
    expect(later.result.ok && later.result.data.minutes[1]?.errors).toBe(2)
    expect(later.result.ok && later.result.data.errors).toBe(3)
    expect(later.late).toEqual({ minutes: 1, requests: 0, errors: 5 })
  })

  it('does not freeze a minute before it passes the watermark', () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    frozen.apply('a', 'canary', cohort(2), 119_999)
    const later = frozen.apply('a', 'canary', cohort(7), 180_000)
    expect(later.result.ok && later.result.data.minutes[1]?.errors).toBe(7)
    expect(later.late.minutes).toBe(0)
  })
})
