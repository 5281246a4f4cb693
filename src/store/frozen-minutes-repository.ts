import type { MinuteCounts } from '../analysis/index.ts'
import type { FrozenMinutesStore } from '../verdicts/frozen-minutes.ts'
import { insertRows } from './insert-rows.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

interface FrozenMinuteRow {
  readonly minute_s: string | number
  readonly requests: string | number
  readonly errors: string | number
  readonly latency_ms: readonly number[]
}

/**
 * The `frozen_minutes` table (migration 9): each analysis' minutes as the judge first used
 * them, so that a restart of the verdict service does not freeze them again from data that
 * late spans have changed since.
 */
export function createStoreFrozenMinutes(store: Store): FrozenMinutesStore {
  return {
    load: (analysisId, cohort) => read(analysisId, cohort, 0, MAX_MINUTE_S),

    async save(analysisId, cohort, minutes, frozenAtMs) {
      if (minutes.length === 0) return []
      const starts = minutes.map((minute) => minute.startMs)
      const first = Math.min(...starts)
      const last = Math.max(...starts)
      await insertRows(store, {
        table: 'frozen_minutes',
        rows: minutes.map((minute) => ({
          analysis_id: analysisId,
          cohort,
          minute: minute.startMs / 1000,
          requests: minute.requests,
          errors: minute.errors,
          latency_ms: Array.from(minute.latencyMs ?? []),
          frozen_at: (frozenAtMs / 1000).toFixed(3),
        })),
        deduplicationToken: `frozen:${analysisId}:${cohort}:${first}:${last}:${frozenAtMs}`,
      })
      // Read back: a replica that froze one of these minutes first keeps its counts.
      return read(analysisId, cohort, first / 1000, last / 1000)
    },
  }

  /**
   * The frozen minutes of a cohort from `fromS` to `toS` (epoch seconds, inclusive); of a
   * minute saved twice (by two replicas, or a retried write that had landed), the first.
   */
  async function read(
    analysisId: string,
    cohort: string,
    fromS: number,
    toS: number,
  ): Promise<MinuteCounts[]> {
    const rows = await selectRows<FrozenMinuteRow>(
      store,
      `SELECT toUnixTimestamp(minute) AS minute_s, requests, errors, latency_ms
       FROM ${store.database}.frozen_minutes
       WHERE analysis_id = {analysisId:String} AND cohort = {cohort:String}
         AND minute >= toDateTime({fromS:UInt32}) AND minute <= toDateTime({toS:UInt32})
       ORDER BY minute, frozen_at, requests, errors LIMIT 1 BY minute`,
      { analysisId, cohort, fromS, toS },
    )
    return rows.map(fromRow)
  }
}

/** The last second a DateTime holds (2106-02-07). */
const MAX_MINUTE_S = 4_294_967_295

function fromRow(row: FrozenMinuteRow): MinuteCounts {
  const minute = {
    startMs: Number(row.minute_s) * 1000,
    requests: Number(row.requests),
    errors: Number(row.errors),
  }
  // The store gives a minute a latency sample only when it has at least one latency.
  return row.latency_ms.length === 0 ? minute : { ...minute, latencyMs: row.latency_ms }
}
