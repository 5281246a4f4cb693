import type { CohortQuery } from '../verdicts/analysis-definition.ts'
import type { CohortSeriesQuery } from './series-queries.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/**
 * Release events (the `events` table, fed by Kafka `json` topics) as cohort data for the
 * judge's numeric metrics and as per-minute series for the page, the report and dashboards.
 *
 * A numeric metric's `source` names what it compares:
 * - `<event name>`: the `value` of the cohort's events with that name (events without a value
 *   are skipped), e.g. `checkout.completed` for checkout latency or basket size;
 * - `outcome:<event name>`: their outcome as a failure indicator, 1 for `failure` and 0 for
 *   `success` (events without an outcome are skipped), so the mean is the failure rate.
 */
export const OUTCOME_SOURCE_PREFIX = 'outcome:'

/** What a numeric metric source reads from the `events` table. */
export interface EventSource {
  readonly source: string
  readonly eventName: string
  readonly measure: 'value' | 'failure'
}

export function toEventSource(source: string): EventSource {
  return source.startsWith(OUTCOME_SOURCE_PREFIX)
    ? { source, eventName: source.slice(OUTCOME_SOURCE_PREFIX.length), measure: 'failure' }
    : { source, eventName: source, measure: 'value' }
}

/**
 * Events kept per event name, cohort and complete minute at most. Above it, a minute
 * contributes a deterministic subset (the events with the smallest hash), which keeps a
 * `mean` unbiased; a `per-request` metric then undercounts, so it needs quieter events.
 */
export const EVENT_SAMPLES_PER_MINUTE = 2_000

const MINUTE_MS = 60_000

interface Filter {
  readonly where: string
  readonly params: Record<string, string | number | readonly string[]>
}

/**
 * Conditions on `events` rows of a cohort in [fromMs, toMs). As for spans, the SQL text only
 * varies by which fixed conditions the cohort needs, so the primary key can be used.
 */
export function toEventsFilter(
  query: Pick<CohortQuery, 'service' | 'environment' | 'selector'>,
  fromMs: number,
  toMs: number,
): Filter {
  const conditions = ['service = {service:String}']
  const params: Filter['params'] = {
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
    conditions.push('flags[{flagKey:String}] = {flagVariant:String}')
    params.flagKey = query.selector.flag.key
    params.flagVariant = query.selector.flag.variant
  }
  conditions.push(
    "timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')",
    "timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')",
  )
  return { where: conditions.join(' AND '), params }
}

/**
 * The values of each source for one cohort, from the complete minutes of the window only:
 * a complete minute never changes, so the values only grow as the analysis runs (what the
 * judge's sequential numeric rule assumes), and the same window always gives the same values.
 * Values come in a fixed order (minute, then hash), so equal data gives equal input.
 */
export async function queryEventValues(
  store: Store,
  query: CohortQuery,
  sources: readonly string[],
): Promise<Record<string, number[]>> {
  const parsed = [...new Set(sources)].map(toEventSource)
  const values: Record<string, number[]> = Object.fromEntries(parsed.map((s) => [s.source, []]))
  const completeToMs = Math.floor(query.toMs / MINUTE_MS) * MINUTE_MS
  if (parsed.length === 0 || completeToMs <= query.fromMs) return values
  const filter = toEventsFilter(query, query.fromMs, completeToMs)
  const rows = await selectRows<EventValueRow>(
    store,
    `SELECT name, value, outcome
     FROM ${store.database}.events
     WHERE ${filter.where} AND name IN {names:Array(String)}
     ORDER BY name, toStartOfMinute(timestamp), cityHash64(timestamp, value, outcome), timestamp
     LIMIT {perMinute:UInt32} BY name, toStartOfMinute(timestamp)`,
    {
      ...filter.params,
      names: [...new Set(parsed.map((source) => source.eventName))],
      perMinute: EVENT_SAMPLES_PER_MINUTE,
    },
  )
  for (const row of rows) {
    for (const source of parsed) {
      if (source.eventName !== row.name) continue
      const value = toMeasure(source.measure, row)
      if (value !== undefined) (values[source.source] as number[]).push(value)
    }
  }
  return values
}

interface EventValueRow {
  readonly name: string
  readonly value: number | null
  readonly outcome: string
}

function toMeasure(measure: EventSource['measure'], row: EventValueRow): number | undefined {
  if (measure === 'value') return row.value === null ? undefined : Number(row.value)
  if (row.outcome === 'failure') return 1
  return row.outcome === 'success' ? 0 : undefined
}

/** One minute of one event name in one cohort. */
export interface EventMinute {
  /** Start of the minute, epoch milliseconds. */
  readonly startMs: number
  readonly events: number
  /** Mean of the values, null when no event of the minute carries one. */
  readonly meanValue: number | null
  /** Failed events among those with an outcome, null when none has one. */
  readonly failureRate: number | null
}

/** A cohort's events by name, minute by minute. */
export interface EventSeries {
  readonly name: string
  readonly minutes: readonly EventMinute[]
}

/** Names shown at most, the busiest first: a page, not a catalogue. */
export const MAX_EVENT_SERIES = 8

/** Per-minute counts, mean values and failure rates of a cohort's events, by event name. */
export async function queryEventSeries(
  store: Store,
  query: CohortSeriesQuery,
): Promise<EventSeries[]> {
  const filter = toEventsFilter(query, query.fromMs, query.toMs)
  const rows = await selectRows<EventMinuteRow>(
    store,
    `SELECT name, toUnixTimestamp(toStartOfMinute(timestamp)) * 1000 AS minute_ms,
            count() AS events, avg(value) AS mean_value,
            countIf(outcome = 'failure') AS failures, countIf(outcome != '') AS outcomes
     FROM ${store.database}.events
     WHERE ${filter.where}
       AND name IN (
         SELECT name FROM ${store.database}.events WHERE ${filter.where}
         GROUP BY name ORDER BY count() DESC, name LIMIT {maxNames:UInt32})
     GROUP BY name, minute_ms ORDER BY name, minute_ms`,
    { ...filter.params, maxNames: MAX_EVENT_SERIES },
  )
  const byName = new Map<string, EventMinute[]>()
  for (const row of rows) {
    const minutes = byName.get(row.name) ?? []
    const outcomes = Number(row.outcomes)
    minutes.push({
      startMs: Number(row.minute_ms),
      events: Number(row.events),
      meanValue: row.mean_value === null ? null : Number(row.mean_value),
      failureRate: outcomes === 0 ? null : Number(row.failures) / outcomes,
    })
    byName.set(row.name, minutes)
  }
  return [...byName].map(([name, minutes]) => ({ name, minutes }))
}

interface EventMinuteRow {
  readonly name: string
  readonly minute_ms: string | number
  readonly events: string | number
  readonly mean_value: number | null
  readonly failures: string | number
  readonly outcomes: string | number
}
