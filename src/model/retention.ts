import type { SpanRow } from './span-row.ts'

const NS_PER_MS = 1_000_000n
const MS_PER_DAY = 86_400_000

export interface RetentionSplit {
  readonly kept: SpanRow[]
  readonly expired: number
}

/**
 * Separates spans older than the store's retention. ClickHouse drops rows whose TTL has
 * passed as it writes them, so such spans would vanish after a 200; they are reported to the
 * sender as rejected instead.
 */
export function splitExpired(
  rows: readonly SpanRow[],
  options: { readonly nowMs: number; readonly ttlDays: number },
): RetentionSplit {
  const cutoffNs = BigInt(Math.floor(options.nowMs - options.ttlDays * MS_PER_DAY)) * NS_PER_MS
  const kept: SpanRow[] = []
  let expired = 0
  for (const row of rows) {
    if (BigInt(row.timestamp) < cutoffNs) expired++
    else kept.push(row)
  }
  return { kept, expired }
}
