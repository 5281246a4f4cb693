const NS_PER_MS = 1_000_000n
const MS_PER_DAY = 86_400_000

/**
 * The earliest span start, in nanoseconds since the epoch, that the store keeps. ClickHouse
 * drops rows whose TTL has passed as it writes them, so older spans would vanish after a 200;
 * the mapping refuses them instead (`MapSpansOptions.retentionCutoffNs`).
 */
export function retentionCutoffNs(options: {
  readonly nowMs: number
  readonly ttlDays: number
}): bigint {
  return BigInt(Math.floor(options.nowMs - options.ttlDays * MS_PER_DAY)) * NS_PER_MS
}
