import { randomUUID } from 'node:crypto'
import { insertRows } from './insert-rows.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/**
 * Which of several `serve` processes over one ClickHouse links flag evaluations: each says it
 * is alive in `flag_linker_heartbeats` before every pass, and the one running longest among
 * those alive within `leaseMs` links. A process that starts never takes over from one already
 * linking; when the linker stops, the next longest-running one takes over after `leaseMs`.
 * (ClickHouse has no compare-and-set; one server's clock orders the heartbeats.)
 */
export interface LinkerLease {
  /** Records this linker as alive and says whether it is the one to link now. */
  holds(): Promise<boolean>
}

export function createLinkerLease(options: {
  readonly store: Store
  readonly leaseMs: number
  readonly startedAtMs: number
}): LinkerLease {
  const { store } = options
  const linker = randomUUID()
  const startedAt = (options.startedAtMs / 1000).toFixed(3)
  return {
    async holds() {
      await insertRows(store, {
        table: 'flag_linker_heartbeats',
        rows: [{ linker, started_at: startedAt }],
        deduplicationToken: randomUUID(),
      })
      const rows = await selectRows<{ linker: string }>(
        store,
        `SELECT linker FROM ${store.database}.flag_linker_heartbeats
         WHERE at >= now64(3) - toIntervalMillisecond({leaseMs:UInt32})
         ORDER BY started_at, linker LIMIT 1`,
        { leaseMs: Math.round(options.leaseMs) },
      )
      return rows[0]?.linker === linker
    },
  }
}
