import type { CohortResult, MinuteCounts } from '../analysis/index.ts'

const MINUTE_MS = 60_000

/** What arrived for a cohort's frozen minutes after they were frozen: counted in the audit only. */
export interface LateData {
  readonly minutes: number
  readonly requests: number
  readonly errors: number
}

/**
 * Freezes each analysis' minutes once they pass the watermark (their end plus the ingest-lag
 * allowance): the first counts seen then are the ones every later verdict uses, because the
 * judge's e-processes require a used block never to change. Spans that arrive later for a
 * frozen minute are reported as late data (in the verdict document and the log), never
 * tested. Kept in memory per analysis: after a restart minutes freeze again from the store.
 */
export interface FrozenMinutes {
  /**
   * The cohort with its frozen minutes in place of the store's (totals adjusted), freezing the
   * minutes that passed `watermarkMs` since the last call, and what arrived late.
   */
  apply(
    analysisId: string,
    cohort: 'baseline' | 'canary',
    result: CohortResult,
    watermarkMs: number,
  ): { result: CohortResult; late: LateData }
}

export function createFrozenMinutes(options: { maxAnalyses: number }): FrozenMinutes {
  const frozen = new Map<string, Map<number, MinuteCounts>>()
  return {
    apply(analysisId, cohort, result, watermarkMs) {
      const none = { minutes: 0, requests: 0, errors: 0 }
      if (!result.ok) return { result, late: none }
      const key = `${analysisId}:${cohort}`
      let table = frozen.get(key)
      if (table === undefined) {
        table = new Map()
        frozen.set(key, table)
        // Maps iterate in insertion order: the oldest analyses go first.
        while (frozen.size > 2 * options.maxAnalyses) {
          const oldest = frozen.keys().next().value
          if (oldest === undefined) break
          frozen.delete(oldest)
        }
      }
      let lateMinutes = 0
      let lateRequests = 0
      let lateErrors = 0
      const minutes = result.data.minutes.map((minute) => {
        if (minute.startMs + MINUTE_MS > watermarkMs) return minute
        const kept = table.get(minute.startMs)
        if (kept === undefined) {
          table.set(minute.startMs, minute)
          return minute
        }
        if (kept.requests !== minute.requests || kept.errors !== minute.errors) {
          lateMinutes++
          lateRequests += minute.requests - kept.requests
          lateErrors += minute.errors - kept.errors
        }
        return kept
      })
      const requests = minutes.reduce((sum, minute) => sum + minute.requests, 0)
      const errors = minutes.reduce((sum, minute) => sum + minute.errors, 0)
      // Totals follow the minutes, so that late spans move no number the judge reads.
      const shift = {
        requests: result.data.requests - result.data.minutes.reduce((s, m) => s + m.requests, 0),
        errors: result.data.errors - result.data.minutes.reduce((s, m) => s + m.errors, 0),
      }
      return {
        result: {
          ok: true,
          data: {
            ...result.data,
            minutes,
            requests: requests + shift.requests,
            errors: errors + shift.errors,
          },
        },
        late: { minutes: lateMinutes, requests: lateRequests, errors: lateErrors },
      }
    },
  }
}
