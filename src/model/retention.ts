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
  const cutoff = (
    BigInt(Math.floor(options.nowMs - options.ttlDays * MS_PER_DAY)) * NS_PER_MS
  ).toString()
  const kept: SpanRow[] = []
  let expired = 0
  for (const row of rows) {
    if (isEarlier(row.timestamp, cutoff)) expired++
    else kept.push(row)
  }
  return { kept, expired }
}

/**
 * `a < b` for non-negative decimal integers without leading zeros, as strings: a shorter
 * number is smaller, equal lengths compare as text. Avoids a BigInt per span on ingest.
 */
function isEarlier(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b
}
