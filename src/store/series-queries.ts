import type { DataSource } from '../analysis/policy/data-source.ts'
import type { CohortSelector } from '../verdicts/analysis-definition.ts'
import { queryMetricSeries } from './metric-cohort-queries.ts'
import { queryEventSeries, type EventSeries } from './event-cohort-queries.ts'
import type { Store } from './store-client.ts'
import { selectRows } from './select-rows.ts'
import { ownSpanTables, type SpanTables } from './cohort-queries.ts'
import { ownSpanSources, type SpanSources } from './span-sources.ts'

/**
 * Per-minute time series read from the request rollup, for the built-in page, reports and
 * anything else that draws a cohort over time. Every value reaches ClickHouse as a bound
 * parameter; only the validated database name is part of the SQL text.
 */

/** One cohort over one window: which rollup rows to read. */
export interface CohortSeriesQuery {
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly selector: CohortSelector
  /** Inclusive start, exclusive end, epoch milliseconds. */
  readonly fromMs: number
  readonly toMs: number
  /**
   * Where the analysis reads requests, errors and latency (its policy's `source`): spans (the
   * rollup) when left out; an OTLP metric's per-minute increases and bucket quantiles.
   */
  readonly source?: DataSource
}

/**
 * A minute of one cohort's requests. Latency quantiles are t-digest estimates (spans), or
 * interpolated within the histogram bucket that holds them (metrics, see `bucketQuantile`).
 */
export interface SeriesPoint {
  /** Start of the minute, epoch milliseconds. */
  readonly startMs: number
  readonly requests: number
  readonly errors: number
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly p99Ms: number | null
}

/** Where the API reads cohort series; the store implements it, tests may fake it. */
export interface SeriesSource {
  /** Minutes that saw requests, ascending; minutes without any are left out. */
  cohortSeries(query: CohortSeriesQuery): Promise<SeriesPoint[]>
  /** The cohort's release events by name, minute by minute (`queryEventSeries`). */
  eventSeries?(query: CohortSeriesQuery): Promise<EventSeries[]>
}

/** A release or flag variant seen for the first time in a window: a change to correlate. */
export interface ChangePoint {
  readonly kind: 'release' | 'flag'
  readonly service: string
  readonly environment: string
  /** The release; empty for flag variants. */
  readonly release: string
  /** Flag key and variant; empty for releases. */
  readonly flagKey: string
  readonly flagVariant: string
  /** First and last minute with requests, epoch milliseconds. */
  readonly firstSeenMs: number
  readonly lastSeenMs: number
  readonly requests: number
}

/**
 * Series from the rollup of the spans each query's source reads (`sources`), or, for a span
 * source without one (the `otel_spans` view before its rollup is made), from its rows.
 */
export function createStoreSeriesSource(
  store: Store,
  sources: SpanSources = ownSpanSources(store),
): SeriesSource {
  return {
    cohortSeries: async (query) =>
      queryCohortSeries(store, query, await sources.tablesFor(query.source)),
    eventSeries: (query) => queryEventSeries(store, query),
  }
}

/**
 * The rollup counts every request once under flag ('', '') — the release as a whole — and
 * once per flag it evaluated, so a cohort with a flag reads that flag's rows and a release
 * cohort reads the ('', '') rows; either way no request is counted twice.
 */
export async function queryCohortSeries(
  store: Store,
  query: CohortSeriesQuery,
  tables: SpanTables = ownSpanTables(store),
): Promise<SeriesPoint[]> {
  if (query.source?.kind === 'metrics') return queryMetricSeries(store, query, query.source)
  const rows = await selectRows<MinuteRow>(
    store,
    tables.rollups === undefined
      ? `SELECT toUnixTimestamp(toStartOfMinute(timestamp)) * 1000 AS minute_ms,
            count() AS requests, sum(is_error) AS errors,
            quantilesTDigest(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency
     FROM ${tables.spans}
     WHERE service = {service:String}
       AND ({environment:String} = '' OR environment = {environment:String})
       AND ({release:String} = '' OR release = {release:String})
       AND ({flagKey:String} = '' OR flags[{flagKey:String}] = {flagVariant:String})
       AND is_entry = 1
       AND ${RAW_WINDOW}
     GROUP BY minute_ms ORDER BY minute_ms`
      : `SELECT toUnixTimestamp(minute) * 1000 AS minute_ms,
            sum(requests) AS requests, sum(errors) AS errors,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency
     FROM ${tables.rollups.requests}
     WHERE service = {service:String}
       AND ({environment:String} = '' OR environment = {environment:String})
       AND ({release:String} = '' OR release = {release:String})
       AND flag_key = {flagKey:String} AND flag_variant = {flagVariant:String}
       AND minute >= toDateTime(intDiv({fromMs:Int64}, 1000), 'UTC')
       AND minute < toDateTime(intDiv({toMs:Int64}, 1000), 'UTC')
     GROUP BY minute_ms ORDER BY minute_ms`,
    {
      service: query.service,
      environment: query.environment,
      release: query.selector.release ?? '',
      flagKey: query.selector.flag?.key ?? '',
      flagVariant: query.selector.flag?.variant ?? '',
      fromMs: Math.floor(query.fromMs),
      toMs: Math.ceil(query.toMs),
    },
  )
  return rows.map(toSeriesPoint)
}

/** Every release of a service, minute by minute: the whole-service view around changes. */
export async function queryReleaseSeries(
  store: Store,
  query: { service: string; environment: string; fromMs: number; toMs: number },
  tables: SpanTables = ownSpanTables(store),
): Promise<Map<string, SeriesPoint[]>> {
  const rows = await selectRows<MinuteRow & { release: string }>(
    store,
    tables.rollups === undefined
      ? `SELECT release, toUnixTimestamp(toStartOfMinute(timestamp)) * 1000 AS minute_ms,
            count() AS requests, sum(is_error) AS errors,
            quantilesTDigest(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency
     FROM ${tables.spans}
     WHERE service = {service:String}
       AND ({environment:String} = '' OR environment = {environment:String})
       AND is_entry = 1
       AND ${RAW_WINDOW}
     GROUP BY release, minute_ms ORDER BY release, minute_ms`
      : `SELECT release, toUnixTimestamp(minute) * 1000 AS minute_ms,
            sum(requests) AS requests, sum(errors) AS errors,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency
     FROM ${tables.rollups.requests}
     WHERE service = {service:String}
       AND ({environment:String} = '' OR environment = {environment:String})
       AND flag_key = ''
       AND minute >= toDateTime(intDiv({fromMs:Int64}, 1000), 'UTC')
       AND minute < toDateTime(intDiv({toMs:Int64}, 1000), 'UTC')
     GROUP BY release, minute_ms ORDER BY release, minute_ms`,
    { ...query, fromMs: Math.floor(query.fromMs), toMs: Math.ceil(query.toMs) },
  )
  const byRelease = new Map<string, SeriesPoint[]>()
  for (const row of rows) {
    const points = byRelease.get(row.release) ?? []
    points.push(toSeriesPoint(row))
    byRelease.set(row.release, points)
  }
  return byRelease
}

/**
 * Releases and flag variants whose first request falls inside the window, oldest first. A
 * release already serving before the window is not a change of this window, so the first
 * minute is taken over everything stored, not just the window. A flag variant is one change
 * whatever releases evaluate it.
 */
export async function queryChanges(
  store: Store,
  query: { service: string; environment: string; fromMs: number; toMs: number },
  tables: SpanTables = ownSpanTables(store),
): Promise<ChangePoint[]> {
  // Without a rollup, its rows are made on the fly from the spans, as its view makes them.
  const source =
    tables.rollups === undefined
      ? `(SELECT toStartOfMinute(timestamp) AS minute, service, environment, release,
                 flag.1 AS flag_key, flag.2 AS flag_variant, 1 AS requests
          FROM ${tables.spans}
          ARRAY JOIN arrayConcat([tuple('', '')],
            CAST(arrayZip(mapKeys(flags), mapValues(flags)), 'Array(Tuple(String, String))')) AS flag
          WHERE service = {service:String} AND is_entry = 1)`
      : tables.rollups.requests
  const rows = await selectRows<ChangeRow>(
    store,
    `SELECT service, environment, if(flag_key = '', release, '') AS change_release,
            flag_key, flag_variant,
            toUnixTimestamp(min(minute)) * 1000 AS first_ms,
            toUnixTimestamp(max(minute)) * 1000 AS last_ms,
            sum(requests) AS requests
     FROM ${source}
     WHERE service = {service:String}
       AND ({environment:String} = '' OR environment = {environment:String})
       AND minute < toDateTime(intDiv({toMs:Int64}, 1000), 'UTC')
     GROUP BY service, environment, change_release, flag_key, flag_variant
     HAVING first_ms >= {fromMs:Int64}
     ORDER BY first_ms, flag_key != '', change_release, flag_key, flag_variant`,
    { ...query, fromMs: Math.floor(query.fromMs), toMs: Math.ceil(query.toMs) },
  )
  return rows.map((row) => ({
    kind: row.flag_key === '' ? 'release' : 'flag',
    service: row.service,
    environment: row.environment,
    release: row.change_release,
    flagKey: row.flag_key,
    flagVariant: row.flag_variant,
    firstSeenMs: Number(row.first_ms),
    lastSeenMs: Number(row.last_ms),
    requests: Number(row.requests),
  }))
}

/** The window on raw spans as on the rollup: the minutes that start in [from, to). */
const RAW_WINDOW = `toStartOfMinute(timestamp) >= toDateTime(intDiv({fromMs:Int64}, 1000), 'UTC')
       AND toStartOfMinute(timestamp) < toDateTime(intDiv({toMs:Int64}, 1000), 'UTC')`

interface MinuteRow {
  minute_ms: string | number
  requests: string | number
  errors: string | number
  /** quantiles 0.5, 0.9, 0.95, 0.99; NaN (JSON null) when the minute has no latency. */
  latency: (number | null)[]
}

interface ChangeRow {
  service: string
  environment: string
  change_release: string
  flag_key: string
  flag_variant: string
  first_ms: string | number
  last_ms: string | number
  requests: string | number
}

function toSeriesPoint(row: MinuteRow): SeriesPoint {
  return {
    startMs: Number(row.minute_ms),
    requests: Number(row.requests),
    errors: Number(row.errors),
    p50Ms: toFiniteOrNull(row.latency[0]),
    p95Ms: toFiniteOrNull(row.latency[2]),
    p99Ms: toFiniteOrNull(row.latency[3]),
  }
}

function toFiniteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}
