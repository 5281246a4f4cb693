import type { CohortQuery } from '../verdicts/analysis-definition.ts'
import type { Store } from './store-client.ts'
import { selectRows } from './select-rows.ts'

/**
 * Aggregate queries for one cohort. Every value reaches ClickHouse as a bound parameter; the
 * SQL text varies only by which fixed conditions a cohort needs, because a catch-all form
 * such as `({release:String} = '' OR release = {release:String})` hides the condition from
 * the primary-key analysis and turns an index range read into a full scan.
 */
export interface CohortCounts {
  readonly requests: number
  readonly errors: number
}

export interface MinuteCounts extends CohortCounts {
  readonly startMs: number
}

const MINUTE_MS = 60_000

interface Filter {
  readonly where: string
  readonly params: Record<string, string | number>
}

/** Conditions on raw `spans` rows of the cohort's request entry spans in [fromMs, toMs). */
export function toSpansFilter(query: CohortQuery, fromMs: number, toMs: number): Filter {
  return toRawFilter(query, fromMs, toMs, 'spans')
}

/**
 * The conditions of {@link toSpansFilter} on `spans`, or on `span_log_flags` (entry spans
 * whose flag arrived as a log record, see `flag-evaluation-linker.ts`), which names a flag by
 * its own columns and holds entry spans only.
 */
function toRawFilter(
  query: CohortQuery,
  fromMs: number,
  toMs: number,
  table: 'spans' | 'span_log_flags',
): Filter {
  const conditions = ['service = {service:String}']
  const params: Record<string, string | number> = {
    service: query.service,
    fromMs: Math.floor(fromMs),
    toMs: Math.floor(toMs),
  }
  if (query.environment !== '') {
    conditions.push('environment = {environment:String}')
    params.environment = query.environment
  }
  if (query.selector.release !== undefined) {
    conditions.push('release = {release:String}')
    params.release = query.selector.release
  }
  if (query.selector.flag !== undefined) {
    conditions.push(
      table === 'spans'
        ? 'flags[{flagKey:String}] = {flagVariant:String}'
        : 'flag_key = {flagKey:String} AND flag_variant = {flagVariant:String}',
    )
    params.flagKey = query.selector.flag.key
    params.flagVariant = query.selector.flag.variant
  }
  conditions.push(
    "timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')",
    "timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')",
  )
  if (table === 'spans') conditions.push('is_entry = 1')
  return { where: conditions.join(' AND '), params }
}

/**
 * The cohort's request entry spans in [fromMs, toMs) with `columns`, as a FROM source and its
 * WHERE conditions: `spans` itself for a release cohort (so its conditions reach the primary
 * key and PREWHERE as before); for a flag cohort, the spans that carry the flag themselves and
 * those whose flag arrived as a log record (never both: the linker skips a span that has it).
 */
function cohortSpans(
  store: Store,
  query: CohortQuery,
  fromMs: number,
  toMs: number,
  columns: string,
): Filter & { readonly from: string } {
  const spans = toSpansFilter(query, fromMs, toMs)
  if (query.selector.flag === undefined) return { ...spans, from: `${store.database}.spans` }
  const linked = toRawFilter(query, fromMs, toMs, 'span_log_flags')
  return {
    where: '1',
    params: spans.params,
    from: `(SELECT ${columns} FROM ${store.database}.spans WHERE ${spans.where}
            UNION ALL
            SELECT ${columns} FROM ${store.database}.span_log_flags WHERE ${linked.where})`,
  }
}

/** Conditions on `request_rollup_1m` rows of the cohort for whole minutes in [fromMs, toMs). */
export function toRollupFilter(query: CohortQuery, fromMs: number, toMs: number): Filter {
  const conditions = ['service = {service:String}']
  const params: Record<string, string | number> = {
    service: query.service,
    fromMinute: Math.floor(fromMs / 1000),
    toMinute: Math.floor(toMs / 1000),
    flagKey: query.selector.flag?.key ?? '',
    flagVariant: query.selector.flag?.variant ?? '',
  }
  if (query.environment !== '') {
    conditions.push('environment = {environment:String}')
    params.environment = query.environment
  }
  if (query.selector.release !== undefined) {
    conditions.push('release = {release:String}')
    params.release = query.selector.release
  }
  // The rollup holds each request once under flag ('', '') and once per flag it evaluated.
  conditions.push(
    'flag_key = {flagKey:String}',
    'flag_variant = {flagVariant:String}',
    'minute >= toDateTime({fromMinute:UInt32})',
    'minute < toDateTime({toMinute:UInt32})',
  )
  return { where: conditions.join(' AND '), params }
}

/**
 * Per-minute request and error counts over the window: whole minutes from the rollup (fed
 * synchronously by its materialized view, so it is as current as the raw table), the partial
 * minutes at either edge from raw spans.
 */
export async function queryMinuteCounts(store: Store, query: CohortQuery): Promise<MinuteCounts[]> {
  const firstWholeMs = Math.ceil(query.fromMs / MINUTE_MS) * MINUTE_MS
  const lastWholeMs = Math.max(firstWholeMs, Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS)
  const parts = await Promise.all([
    firstWholeMs < lastWholeMs ? queryRollupMinutes(store, query, firstWholeMs, lastWholeMs) : [],
    queryRawMinutes(store, query, query.fromMs, Math.min(firstWholeMs, query.toMs)),
    queryRawMinutes(store, query, Math.max(lastWholeMs, query.fromMs), query.toMs),
  ])
  return mergeMinutes(parts.flat())
}

async function queryRollupMinutes(
  store: Store,
  query: CohortQuery,
  fromMs: number,
  toMs: number,
): Promise<MinuteCounts[]> {
  const filter = toRollupFilter(query, fromMs, toMs)
  const rows = await selectRows<MinuteRow>(
    store,
    `SELECT toUnixTimestamp(minute) AS minute_s, sum(requests) AS requests, sum(errors) AS errors
     FROM ${store.database}.request_rollup_1m
     WHERE ${filter.where}
     GROUP BY minute_s ORDER BY minute_s`,
    filter.params,
  )
  return rows.map(toMinuteCounts)
}

async function queryRawMinutes(
  store: Store,
  query: CohortQuery,
  fromMs: number,
  toMs: number,
): Promise<MinuteCounts[]> {
  if (toMs <= fromMs) return []
  const source = cohortSpans(store, query, fromMs, toMs, 'timestamp, is_error')
  const rows = await selectRows<MinuteRow>(
    store,
    `SELECT toUnixTimestamp(toStartOfMinute(timestamp)) AS minute_s,
            count() AS requests, sum(is_error) AS errors
     FROM ${source.from}
     WHERE ${source.where}
     GROUP BY minute_s ORDER BY minute_s`,
    source.params,
  )
  return rows.map(toMinuteCounts)
}

interface MinuteRow {
  readonly minute_s: string
  readonly requests: string
  readonly errors: string
}

function toMinuteCounts(row: MinuteRow): MinuteCounts {
  return {
    startMs: Number(row.minute_s) * 1000,
    requests: Number(row.requests),
    errors: Number(row.errors),
  }
}

/** Adds up counts that fall in the same minute, ascending by minute. */
export function mergeMinutes(minutes: readonly MinuteCounts[]): MinuteCounts[] {
  const byStart = new Map<number, { requests: number; errors: number }>()
  for (const minute of minutes) {
    const total = byStart.get(minute.startMs) ?? { requests: 0, errors: 0 }
    total.requests += minute.requests
    total.errors += minute.errors
    byStart.set(minute.startMs, total)
  }
  return [...byStart.entries()]
    .sort(([a], [b]) => a - b)
    .map(([startMs, total]) => ({ startMs, ...total }))
}

/**
 * Request latencies sampled minute by minute: from each complete minute of the window, the
 * `latencySamplesPerMinute` spans with the smallest hash of start time and duration (all of
 * them in a quieter minute). Complete minutes never change, so the sample for a later window
 * contains the sample for an earlier one; that nesting is what keeps the judge's sequential
 * latency rule valid at every look. The minute in progress is left out for the same reason.
 *
 * To avoid sorting every span, a minute's spans are first thinned to those whose hash is under
 * a threshold admitting about {@link OVERSAMPLING}× the quota, computed from that minute's own
 * request count: a complete minute's threshold, and so its sample, never changes.
 */
export async function queryLatencySample(
  store: Store,
  query: CohortQuery,
  minutes: readonly MinuteCounts[],
): Promise<number[]> {
  const completeToMs = Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS
  const complete = minutes.filter((minute) => minute.startMs < completeToMs && minute.requests > 0)
  if (complete.length === 0) return []
  const filter = cohortSpans(store, query, query.fromMs, completeToMs, 'timestamp, duration_ns')
  const rows = await selectRows<{ latency_ms: number }>(
    store,
    `SELECT duration_ns / 1e6 AS latency_ms
     FROM ${filter.from}
     WHERE ${filter.where}
       AND cityHash64(timestamp, duration_ns) <= transform(
         toUInt32(toUnixTimestamp(toStartOfMinute(timestamp))),
         {minutes:Array(UInt32)}, {limits:Array(UInt64)}, toUInt64(0))
     ORDER BY toStartOfMinute(timestamp), cityHash64(timestamp, duration_ns), duration_ns
     LIMIT {perMinute:UInt32} BY toStartOfMinute(timestamp)`,
    {
      ...filter.params,
      perMinute: query.latencySamplesPerMinute,
      minutes: complete.map((minute) => minute.startMs / 1000),
      // bigint, not string: inside an array parameter the client would quote a string.
      limits: complete.map((minute) =>
        BigInt(hashLimit((OVERSAMPLING * query.latencySamplesPerMinute) / minute.requests)),
      ),
    },
  )
  return rows.map((row) => Number(row.latency_ms))
}

/**
 * How many more spans than the quota a minute's hash threshold admits: with 4× the quota
 * expected, fewer than the quota pass with negligible probability (for a quota of 50, about
 * 10^-20 by a Chernoff bound), and then the minute simply contributes fewer samples.
 */
export const OVERSAMPLING = 4

/** The largest 64-bit hash kept for a sampling fraction (capped at 1), as a decimal string. */
export function hashLimit(fraction: number): string {
  const max = 2n ** 64n - 1n
  if (fraction >= 1) return max.toString()
  const scaled = BigInt(Math.floor(fraction * 2 ** 53))
  return ((max * scaled) >> 53n).toString()
}
