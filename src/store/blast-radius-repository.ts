import type { RelatedRole } from '../analysis/index.ts'
import type { BlastRadiusRow, FrozenBlastRadiusStore } from '../verdicts/blast-radius-source.ts'
import { insertRows } from './insert-rows.ts'
import { toDeduplicationToken } from './safe-settings.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

interface FrozenRow {
  readonly minute_s: string | number
  readonly cohort: string
  readonly service: string
  readonly role: string
  readonly requests: string | number
  readonly errors: string | number
  readonly latency_ms: readonly number[]
}

/**
 * The `blast_radius_minutes` table (migration 8): each analysis' blast radius minute by minute
 * as the judge first used it. Keys are analysis ids, or `<train id>.<member index>` for the
 * members of a release train.
 */
export function createStoreBlastRadiusMinutes(store: Store): FrozenBlastRadiusStore {
  return {
    load: (key) => read(key, 0, MAX_MINUTE_S),

    async save(key, rows, frozenAtMs) {
      if (rows.length === 0) return []
      const starts = rows.map((row) => row.startMs)
      const first = Math.min(...starts)
      const last = Math.max(...starts)
      await insertRows(store, {
        table: 'blast_radius_minutes',
        rows: rows.map((row) => ({
          analysis_id: key,
          minute: row.startMs / 1000,
          cohort: row.cohort,
          service: row.service,
          role: row.role,
          requests: row.requests,
          errors: row.errors,
          latency_ms: row.latencyMs,
          frozen_at: (frozenAtMs / 1000).toFixed(3),
        })),
        deduplicationToken: toDeduplicationToken('blast-radius', [key, first, last, frozenAtMs]),
      })
      return read(key, first / 1000, last / 1000)
    },
  }

  /**
   * The frozen rows of `key` from `fromS` to `toS` (epoch seconds, inclusive). Of a minute
   * frozen twice (two replicas, or a retried write that had landed), the rows of the first
   * freeze only: a minute's rows are written together, with one frozen_at.
   */
  async function read(key: string, fromS: number, toS: number): Promise<BlastRadiusRow[]> {
    const rows = await selectRows<FrozenRow>(
      store,
      `SELECT toUnixTimestamp(minute) AS minute_s, cohort, service, role, requests, errors, latency_ms
       FROM ${store.database}.blast_radius_minutes
       WHERE analysis_id = {key:String}
         AND minute >= toDateTime({fromS:UInt32}) AND minute <= toDateTime({toS:UInt32})
         AND (minute, frozen_at) IN (
           SELECT minute, min(frozen_at) FROM ${store.database}.blast_radius_minutes
           WHERE analysis_id = {key:String}
             AND minute >= toDateTime({fromS:UInt32}) AND minute <= toDateTime({toS:UInt32})
           GROUP BY minute)
       ORDER BY minute, cohort, service
       LIMIT 1 BY minute, cohort, service`,
      { key, fromS, toS },
    )
    return rows.map((row) => ({
      startMs: Number(row.minute_s) * 1000,
      cohort: row.cohort === 'canary' ? 'canary' : 'baseline',
      service: row.service,
      role: row.role as RelatedRole | '',
      requests: Number(row.requests),
      errors: Number(row.errors),
      latencyMs: row.latency_ms,
    }))
  }
}

/** The last second a DateTime holds (2106-02-07). */
const MAX_MINUTE_S = 4_294_967_295
