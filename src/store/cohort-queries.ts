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

/**
 * Where a cohort's spans are read: release-health's own `spans` and the rollups its views fill,
 * or a table with the columns of `spans` that has no rollups (the `otel_spans` view over the
 * Collector exporter's table, `src/store/otel-traces.ts`), whose minutes all come from raw rows.
 */
export interface SpanTables {
  /** `database.table` of rows with the columns of `spans` that the queries below read. */
  readonly spans: string
  readonly rollups?: {
    /** Like `request_rollup_1m`. */
    readonly requests: string
    /** Like `latency_sample_1m`. */
    readonly latencySample: string
  }
}

/** release-health's own tables. */
export function ownSpanTables(store: Store): SpanTables {
  const db = store.database
  return {
    spans: `${db}.spans`,
    rollups: { requests: `${db}.request_rollup_1m`, latencySample: `${db}.latency_sample_1m` },
  }
}

interface Filter {
  readonly where: string
  readonly params: Record<string, string | number>
}

/**
 * Conditions on raw `spans` rows of the cohort's request entry spans in [fromMs, toMs). The
 * window's parameters are named `<window>FromMs` and `<window>ToMs` (`fromMs`, `toMs` by
 * default), so that several windows can share one query.
 */
export function toSpansFilter(
  query: CohortQuery,
  fromMs: number,
  toMs: number,
  window = '',
): Filter {
  return toRawFilter(query, fromMs, toMs, window, 'spans')
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
  window: string,
  table: 'spans' | 'span_log_flags',
): Filter {
  const from = window === '' ? 'fromMs' : `${window}FromMs`
  const to = window === '' ? 'toMs' : `${window}ToMs`
  const conditions = ['service = {service:String}']
  const params: Record<string, string | number> = {
    service: query.service,
    [from]: Math.floor(fromMs),
    [to]: Math.floor(toMs),
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
    `timestamp >= fromUnixTimestamp64Milli({${from}:Int64}, 'UTC')`,
    `timestamp < fromUnixTimestamp64Milli({${to}:Int64}, 'UTC')`,
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
  window = '',
  spansTable = `${store.database}.spans`,
): Filter & { readonly from: string } {
  const spans = toSpansFilter(query, fromMs, toMs, window)
  // Flags linked from log records are release-health's own (`span_log_flags` points into
  // `spans`); another span source carries its flags on the spans alone.
  if (query.selector.flag === undefined || spansTable !== `${store.database}.spans`) {
    return { ...spans, from: spansTable }
  }
  const linked = toRawFilter(query, fromMs, toMs, window, 'span_log_flags')
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
 * minutes at either edge from raw spans, in one query (the embedded engine runs bound queries
 * one at a time, so each query saved is time saved).
 */
export async function queryMinuteCounts(
  store: Store,
  query: CohortQuery,
  tables: SpanTables = ownSpanTables(store),
): Promise<MinuteCounts[]> {
  // Without a rollup, the whole window is one raw "edge".
  const firstWholeMs =
    tables.rollups === undefined ? query.toMs : Math.ceil(query.fromMs / MINUTE_MS) * MINUTE_MS
  const lastWholeMs = Math.max(firstWholeMs, Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS)
  const parts: Filter[] = []
  const selects: string[] = []
  if (firstWholeMs < lastWholeMs && tables.rollups !== undefined) {
    const filter = toRollupFilter(query, firstWholeMs, lastWholeMs)
    parts.push(filter)
    selects.push(
      `SELECT toUnixTimestamp(minute) AS minute_s, sum(requests) AS requests, sum(errors) AS errors
       FROM ${tables.rollups.requests} WHERE ${filter.where} GROUP BY minute_s`,
    )
  }
  const edges: [string, number, number][] = [
    ['head', query.fromMs, Math.min(firstWholeMs, query.toMs)],
    ['tail', Math.max(lastWholeMs, query.fromMs), query.toMs],
  ]
  for (const [window, fromMs, toMs] of edges) {
    if (toMs <= fromMs) continue
    const source = cohortSpans(
      store,
      query,
      fromMs,
      toMs,
      'timestamp, is_error',
      window,
      tables.spans,
    )
    parts.push(source)
    selects.push(
      `SELECT toUnixTimestamp(toStartOfMinute(timestamp)) AS minute_s,
              count() AS requests, sum(is_error) AS errors
       FROM ${source.from} WHERE ${source.where} GROUP BY minute_s`,
    )
  }
  if (selects.length === 0) return []
  const rows = await selectRows<MinuteRow>(
    store,
    `SELECT minute_s, sum(requests) AS requests, sum(errors) AS errors
     FROM (${selects.join(' UNION ALL ')})
     GROUP BY minute_s ORDER BY minute_s`,
    Object.assign({}, ...parts.map((part) => part.params)) as Record<string, string | number>,
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
 * them in a quieter minute). A complete minute's sample stays the same until late spans
 * arrive for it, so the sample for a later window contains the sample for an earlier one; the
 * verdict service freezes each minute's sample once it passes the watermark
 * (src/verdicts/frozen-minutes.ts), which is what keeps the judge's sequential latency rule
 * valid at every look even then. The minute in progress is left out for the same reason.
 *
 * To avoid sorting every span, a minute's spans are first thinned to those whose hash is under
 * a threshold admitting about {@link OVERSAMPLING}× the quota, computed from that minute's own
 * request count: a complete minute's threshold, and so its sample, never changes.
 */
export async function queryLatencySample(
  store: Store,
  query: CohortQuery,
  minutes: readonly MinuteCounts[],
  tables: SpanTables = ownSpanTables(store),
): Promise<number[]> {
  return (await queryLatencyRows(store, query, minutes, tables)).map((row) =>
    Number(row.latency_ms),
  )
}

/**
 * The same sample as {@link queryLatencySample}, kept apart by minute (start in epoch ms), so
 * that the judge can use minutes as the units of its latency rule.
 */
export async function queryLatencySampleByMinute(
  store: Store,
  query: CohortQuery,
  minutes: readonly MinuteCounts[],
  tables: SpanTables = ownSpanTables(store),
): Promise<Map<number, number[]>> {
  const byMinute = new Map<number, number[]>()
  for (const row of await queryLatencyRows(store, query, minutes, tables)) {
    const startMs = Number(row.minute_s) * 1000
    const list = byMinute.get(startMs) ?? []
    list.push(Number(row.latency_ms))
    byMinute.set(startMs, list)
  }
  return byMinute
}

async function queryLatencyRows(
  store: Store,
  query: CohortQuery,
  minutes: readonly MinuteCounts[],
  tables: SpanTables,
): Promise<{ minute_s: string; latency_ms: number }[]> {
  const completeToMs = Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS
  const complete = minutes.filter((minute) => minute.startMs < completeToMs && minute.requests > 0)
  if (complete.length === 0) return []
  if (query.latencySamplesPerMinute > LATENCY_SAMPLE_KEPT || tables.rollups === undefined) {
    return queryRawLatencyRows(store, query, complete, query.fromMs, completeToMs, tables.spans)
  }
  // Whole minutes from `latency_sample_1m`, which keeps per minute and cohort the
  // LATENCY_SAMPLE_KEPT spans of smallest (hash, duration): the quota under a minute's hash
  // threshold is a prefix of that list, so its sample is the raw query's, span for span, read
  // from a few thousand rows instead of every span of the window. A minute the analysis starts
  // in the middle of comes from raw spans (the table holds whole minutes); one query for both.
  // Within a minute the order is not the raw query's: the judge takes a sample as a set.
  const firstWholeMs = Math.min(Math.ceil(query.fromMs / MINUTE_MS) * MINUTE_MS, completeToMs)
  const selects: string[] = []
  const params: Record<string, unknown>[] = [sampleParams(query, complete)]
  if (query.fromMs < firstWholeMs) {
    const edge = cohortSpans(
      store,
      query,
      query.fromMs,
      firstWholeMs,
      SAMPLE_COLUMNS,
      'edge',
      tables.spans,
    )
    params.push(edge.params)
    selects.push(rawSampleSql(edge))
  }
  if (firstWholeMs < completeToMs) {
    const whole = toRollupFilter(query, firstWholeMs, completeToMs)
    params.push(whole.params)
    selects.push(
      `SELECT minute_s, latency_ms FROM (
         SELECT minute_s, arrayMap(kept -> toUInt64(bitAnd(kept, 0xFFFFFFFFFFFFFFFF)) / 1e6, arraySlice(arrayFilter(
             kept -> bitShiftRight(kept, 64) <= transform(minute_s, {minutes:Array(UInt32)}, {limits:Array(UInt64)}, toUInt64(0)),
             groupArraySortedMerge(${LATENCY_SAMPLE_KEPT})(sample)), 1, {perMinute:UInt32})) AS kept_ms
         FROM ${tables.rollups.latencySample}
         WHERE ${whole.where}
         GROUP BY toUInt32(toUnixTimestamp(minute)) AS minute_s
       ) ARRAY JOIN kept_ms AS latency_ms`,
    )
  }
  return selectRows<{ minute_s: string; latency_ms: number }>(
    store,
    selects.join(' UNION ALL '),
    Object.assign({}, ...params) as Record<string, unknown>,
  )
}

const SAMPLE_COLUMNS = 'timestamp, duration_ns'

/** The raw spans' sample query over the rows of `source` (see {@link cohortSpans}). */
function rawSampleSql(source: Filter & { readonly from: string }): string {
  return `SELECT toUInt32(toUnixTimestamp(toStartOfMinute(timestamp))) AS minute_s,
            duration_ns / 1e6 AS latency_ms
     FROM ${source.from}
     WHERE ${source.where}
       AND cityHash64(timestamp, duration_ns) <= transform(
         toUInt32(toUnixTimestamp(toStartOfMinute(timestamp))),
         {minutes:Array(UInt32)}, {limits:Array(UInt64)}, toUInt64(0))
     ORDER BY toStartOfMinute(timestamp), cityHash64(timestamp, duration_ns), duration_ns
     LIMIT {perMinute:UInt32} BY toStartOfMinute(timestamp)`
}

/**
 * The sample of the minutes in [fromMs, toMs) from raw spans: the definition the kept sample
 * must match (its tests compare the two).
 */
export async function queryRawLatencyRows(
  store: Store,
  query: CohortQuery,
  complete: readonly MinuteCounts[],
  fromMs: number,
  toMs: number,
  spansTable = `${store.database}.spans`,
): Promise<{ minute_s: string; latency_ms: number }[]> {
  if (toMs <= fromMs) return []
  const source = cohortSpans(store, query, fromMs, toMs, SAMPLE_COLUMNS, '', spansTable)
  return selectRows<{ minute_s: string; latency_ms: number }>(store, rawSampleSql(source), {
    ...source.params,
    ...sampleParams(query, complete),
  })
}

/** The quota and each complete minute's hash threshold, as query parameters. */
function sampleParams(query: CohortQuery, complete: readonly MinuteCounts[]) {
  return {
    perMinute: query.latencySamplesPerMinute,
    minutes: complete.map((minute) => minute.startMs / 1000),
    // bigint, not string: inside an array parameter the client would quote a string.
    limits: complete.map((minute) =>
      BigInt(hashLimit((OVERSAMPLING * query.latencySamplesPerMinute) / minute.requests)),
    ),
  }
}

/**
 * Spans of smallest (hash, duration) kept per minute and cohort in `latency_sample_1m`
 * (schema migration 3): verdicts whose quota is larger (analyses shorter than two hours at the
 * default 30,000 samples) read raw spans instead.
 */
export const LATENCY_SAMPLE_KEPT = 256

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
