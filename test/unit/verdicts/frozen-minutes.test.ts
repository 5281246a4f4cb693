import { describe, expect, it } from 'vitest'
import type { CohortResult, MinuteCounts } from '../../../src/analysis/index.ts'
import {
  createFrozenMinutes,
  type FrozenMinutesStore,
} from '../../../src/verdicts/frozen-minutes.ts'

function cohort(lastMinuteErrors: number, lastMinuteSample = [10, 20]): CohortResult {
  const minutes = [
    { startMs: 0, requests: 100, errors: 1, latencyMs: [5, 6] },
    { startMs: 60_000, requests: 100, errors: lastMinuteErrors, latencyMs: lastMinuteSample },
  ]
  return {
    ok: true,
    data: {
      requests: 200,
      errors: 1 + lastMinuteErrors,
      latencyMs: [5, 6, ...lastMinuteSample],
      minutes,
    },
  }
}

const at = (watermarkMs: number) => ({ fromMs: 0, watermarkMs, nowMs: watermarkMs + 30_000 })

/** A store kept in a map, with a switch to make its writes fail (a fault we cause at will). */
function createMapStore(): FrozenMinutesStore & { failWrites: boolean; saved: MinuteCounts[] } {
  const rows = new Map<string, MinuteCounts[]>()
  return {
    failWrites: false,
    saved: [],
    load: (analysisId, cohortName) =>
      Promise.resolve([...(rows.get(`${analysisId}:${cohortName}`) ?? [])]),
    save(analysisId, cohortName, minutes) {
      if (this.failWrites) return Promise.reject(new Error('store down'))
      const key = `${analysisId}:${cohortName}`
      const all = [...(rows.get(key) ?? []), ...minutes]
      rows.set(key, all)
      this.saved.push(...minutes)
      // As the table answers: of a minute saved twice, the first.
      return Promise.resolve(
        minutes.map((minute) => all.find((row) => row.startMs === minute.startMs) ?? minute),
      )
    },
  }
}

function errorsOf(result: CohortResult, index: number): number | undefined {
  return result.ok ? result.data.minutes[index]?.errors : undefined
}

describe('createFrozenMinutes', () => {
  it('keeps a minute as it was when it passed the watermark and reports late spans apart', async () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    await frozen.apply('a', 'canary', cohort(2), at(120_000))
    const later = await frozen.apply('a', 'canary', cohort(7, [10, 20, 900]), at(180_000))
    expect(errorsOf(later.result, 1)).toBe(2)
    expect(later.result.ok && later.result.data.errors).toBe(3)
    expect(later.result.ok && later.result.data.minutes[1]?.latencyMs).toEqual([10, 20])
    expect(later.result.ok && later.result.data.latencyMs).toEqual([5, 6, 10, 20])
    expect(later.late).toEqual({ minutes: 1, requests: 0, errors: 5 })
  })

  it('does not freeze a minute before it passes the watermark', async () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    await frozen.apply('a', 'canary', cohort(2), at(119_999))
    const later = await frozen.apply('a', 'canary', cohort(7), at(180_000))
    expect(errorsOf(later.result, 1)).toBe(7)
    expect(later.late.minutes).toBe(0)
  })

  it('keeps a minute empty that was empty when frozen, and counts what arrived for it as late', async () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    const onlyFirst: CohortResult = {
      ok: true,
      data: {
        requests: 100,
        errors: 1,
        latencyMs: [],
        minutes: [{ startMs: 0, requests: 100, errors: 1 }],
      },
    }
    await frozen.apply('a', 'baseline', onlyFirst, at(120_000))
    const later = await frozen.apply('a', 'baseline', cohort(4), at(180_000))
    expect(later.result.ok && later.result.data.minutes.map((m) => m.startMs)).toEqual([0])
    expect(later.result.ok && later.result.data.requests).toBe(100)
    expect(later.late).toEqual({ minutes: 1, requests: 100, errors: 4 })
  })

  it('reads the minutes frozen before a restart back from its store instead of freezing them again', async () => {
    const store = createMapStore()
    await createFrozenMinutes({ maxAnalyses: 10, store }).apply(
      'a',
      'canary',
      cohort(2),
      at(120_000),
    )
    const restarted = createFrozenMinutes({ maxAnalyses: 10, store })
    const later = await restarted.apply('a', 'canary', cohort(7, [10, 20, 900]), at(180_000))
    expect(errorsOf(later.result, 1)).toBe(2)
    expect(later.result.ok && later.result.data.minutes[1]?.latencyMs).toEqual([10, 20])
    expect(later.late).toEqual({ minutes: 1, requests: 0, errors: 5 })
    // Minutes 0 and 1 once, before the restart; minute 2 (empty so far) after it.
    expect(store.saved.map((minute) => [minute.startMs, minute.requests])).toEqual([
      [0, 100],
      [60_000, 100],
      [120_000, 0],
    ])
  })

  it('answers a failed cohort, and uses no minute, when the frozen minutes cannot be saved', async () => {
    const store = createMapStore()
    const frozen = createFrozenMinutes({ maxAnalyses: 10, store })
    store.failWrites = true
    const failed = await frozen.apply('a', 'canary', cohort(2), at(120_000))
    expect(failed.result.ok).toBe(false)
    expect(!failed.result.ok && failed.result.error).toMatch(
      /frozen minutes could not be read or saved: store down/,
    )
    store.failWrites = false
    const recovered = await frozen.apply('a', 'canary', cohort(7), at(120_000))
    expect(errorsOf(recovered.result, 1)).toBe(7)
  })

  it('freezes a minute once when two verdicts for the same analysis run together', async () => {
    const store = createMapStore()
    const frozen = createFrozenMinutes({ maxAnalyses: 10, store })
    const [first, second] = await Promise.all([
      frozen.apply('a', 'canary', cohort(2), at(120_000)),
      frozen.apply('a', 'canary', cohort(7), at(120_000)),
    ])
    expect(errorsOf(first.result, 1)).toBe(2)
    expect(errorsOf(second.result, 1)).toBe(2)
    expect(store.saved).toHaveLength(2)
  })

  it('takes the counts another replica froze first for the same minute', async () => {
    const store = createMapStore()
    const replicaA = createFrozenMinutes({ maxAnalyses: 10, store })
    const replicaB = createFrozenMinutes({ maxAnalyses: 10, store })
    await replicaB.apply('a', 'canary', cohort(2), at(60_000))
    await replicaA.apply('a', 'canary', cohort(2), at(120_000))
    const later = await replicaB.apply('a', 'canary', cohort(7), at(120_000))
    expect(errorsOf(later.result, 1)).toBe(2)
    expect(later.late).toEqual({ minutes: 1, requests: 0, errors: 5 })
  })

  it('passes a failed cohort query through untouched', async () => {
    const frozen = createFrozenMinutes({ maxAnalyses: 10 })
    const failed: CohortResult = { ok: false, error: 'the store query failed: timeout' }
    expect((await frozen.apply('a', 'canary', failed, at(120_000))).result).toBe(failed)
  })
})
