import type { RelatedRole } from '../analysis/index.ts'
import type { CohortSelector } from '../verdicts/analysis-definition.ts'
import type {
  BlastRadiusQuery,
  BlastRadiusRow,
  BlastRadiusSource,
} from '../verdicts/blast-radius-source.ts'
import { ownSpanTables, type SpanTables } from './cohort-queries.ts'
import { selectRows } from './select-rows.ts'
import { ownSpanSources, type SpanSources } from './span-sources.ts'
import type { Store } from './store-client.ts'

/**
 * The blast radius of a canary, read from raw spans by trace id (release-health's own `spans`,
 * or the `otel_spans` view over the Collector exporter's table, as the analysis reads its own
 * cohorts): for each minute and cohort,
 * the traces that entered the canary's service (its entry spans of that cohort in that
 * minute), and every other service's entry spans on those traces. Every value reaches
 * ClickHouse as a bound parameter; the SQL text varies only by which fixed conditions the
 * cohorts need (so the primary key keeps narrowing the canary's side) and by the sample size,
 * an integer this program chose.
 */
/**
 * How far other services' spans may lie from the minute the trace entered the canary's
 * service: callers start before it, callees after. A request open longer than this on either
 * side is cut at the window; the judge reads a minute only this long after it ended
 * (`RELATED_LAG_MS`), so that its callees have arrived.
 */
export const TRACE_SPREAD_MS = 60_000

/** Samples kept per minute, cohort and service at most, whatever is asked. */
const MAX_SAMPLES = 2_000

interface Conditions {
  readonly sql: string
  readonly params: Record<string, string | number>
}

/**
 * The traces through each cohort: `trace_id`, `cohort` (0 baseline, 1 canary), the minute the
 * trace entered the service, and the first start and last end of its requests there
 * (nanoseconds). A trace through both cohorts identifies neither and is left out.
 */
function throughCohorts(spans: string, query: BlastRadiusQuery): Conditions {
  const params: Record<string, string | number> = {
    service: query.service,
    environment: query.environment,
    fromMs: Math.floor(query.fromMs),
    toMs: Math.floor(query.toMs),
  }
  const baseline = selectorCondition(query.baseline, 'b', params)
  const canary = selectorCondition(query.canary, 'c', params)
  const environment = query.environment === '' ? '' : 'AND environment = {environment:String}'
  const sql = `SELECT trace_id, any(side) AS cohort,
         toStartOfMinute(min(timestamp)) AS minute,
         min(toUnixTimestamp64Nano(timestamp)) AS start_ns,
         max(toUnixTimestamp64Nano(timestamp) + toInt64(duration_ns)) AS end_ns
       FROM (
         SELECT trace_id, timestamp, duration_ns,
                multiIf((${canary}) AND NOT (${baseline}), 1, (${baseline}) AND NOT (${canary}), 0, 2) AS side
         FROM ${spans}
         WHERE service = {service:String} ${environment}
           AND timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
           AND timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
           AND is_entry = 1 AND trace_id != ''
           AND ((${baseline}) OR (${canary}))
       )
       WHERE side < 2
       GROUP BY trace_id
       HAVING uniqExact(side) = 1`
  return { sql, params }
}

/** `release = {bRelease:String} AND flags[...] = ...` for a selector, its values as parameters. */
function selectorCondition(
  selector: CohortSelector,
  prefix: string,
  params: Record<string, string | number>,
): string {
  const parts: string[] = []
  if (selector.release !== undefined) {
    parts.push(`release = {${prefix}Release:String}`)
    params[`${prefix}Release`] = selector.release
  }
  if (selector.flag !== undefined) {
    parts.push(`flags[{${prefix}FlagKey:String}] = {${prefix}FlagVariant:String}`)
    params[`${prefix}FlagKey`] = selector.flag.key
    params[`${prefix}FlagVariant`] = selector.flag.variant
  }
  return parts.length === 0 ? '0' : parts.join(' AND ')
}

interface RelatedRow {
  readonly service: string
  readonly cohort: number | string
  readonly minute_s: number | string
  readonly requests: number | string
  readonly errors: number | string
  readonly callee: number | string
  readonly caller: number | string
  readonly sample: readonly (readonly [string, number])[]
}

/**
 * Every other service's requests on the traces through each cohort, minute by minute, and the
 * traces per minute. Two reads of `spans`: the canary's service's entry spans by primary key,
 * then other services' entry spans of those trace ids in the same window widened by
 * {@link TRACE_SPREAD_MS} (the trace-id bloom filter skips granules without them).
 */
export async function queryBlastRadius(
  store: Store,
  query: BlastRadiusQuery,
  tables: SpanTables = ownSpanTables(store),
): Promise<BlastRadiusRow[]> {
  if (query.toMs <= query.fromMs) return []
  const through = throughCohorts(tables.spans, query)
  const samples = Math.max(1, Math.min(MAX_SAMPLES, Math.floor(query.latencySamplesPerMinute)))
  const [related, traces] = await Promise.all([
    selectRows<RelatedRow>(
      store,
      `SELECT o.service AS service, t.cohort AS cohort, toUnixTimestamp(t.minute) AS minute_s,
              count() AS requests, sum(o.is_error) AS errors,
              countIf(o.start_ns >= t.start_ns AND o.start_ns <= t.end_ns) AS callee,
              countIf(o.start_ns < t.start_ns AND o.end_ns >= t.start_ns) AS caller,
              groupArraySorted(${samples})((cityHash64(o.span_id), o.duration_ns / 1e6)) AS sample
       FROM (
         SELECT trace_id, service, is_error, duration_ns, span_id,
                toUnixTimestamp64Nano(timestamp) AS start_ns,
                toUnixTimestamp64Nano(timestamp) + toInt64(duration_ns) AS end_ns
         FROM ${tables.spans}
         WHERE trace_id IN (SELECT trace_id FROM (${through.sql}))
           AND service != {service:String} AND is_entry = 1
           AND timestamp >= fromUnixTimestamp64Milli({spreadFromMs:Int64}, 'UTC')
           AND timestamp < fromUnixTimestamp64Milli({spreadToMs:Int64}, 'UTC')
       ) AS o
       INNER JOIN (${through.sql}) AS t ON o.trace_id = t.trace_id
       GROUP BY service, cohort, minute_s
       ORDER BY minute_s, cohort, service`,
      {
        ...through.params,
        spreadFromMs: Math.floor(query.fromMs) - TRACE_SPREAD_MS,
        spreadToMs: Math.floor(query.toMs) + TRACE_SPREAD_MS,
      },
    ),
    selectRows<{ cohort: number | string; minute_s: number | string; traces: number | string }>(
      store,
      `SELECT cohort, toUnixTimestamp(minute) AS minute_s, count() AS traces
       FROM (${through.sql}) GROUP BY cohort, minute_s ORDER BY minute_s, cohort`,
      through.params,
    ),
  ])
  const cohortOf = (value: number | string): 'baseline' | 'canary' =>
    Number(value) === 1 ? 'canary' : 'baseline'
  return [
    ...traces.map((row) => ({
      startMs: Number(row.minute_s) * 1000,
      cohort: cohortOf(row.cohort),
      service: '',
      role: '' as const,
      requests: Number(row.traces),
      errors: 0,
      latencyMs: [],
    })),
    ...related.map((row) => ({
      startMs: Number(row.minute_s) * 1000,
      cohort: cohortOf(row.cohort),
      service: row.service,
      role: toRole(Number(row.requests), Number(row.callee), Number(row.caller)),
      requests: Number(row.requests),
      errors: Number(row.errors),
      latencyMs: row.sample.map((entry) => Number(entry[1])),
    })),
  ]
}

/**
 * The blast radius from raw spans, as the verdict service reads it: each query from the table
 * `sources` names for its analysis' source.
 */
export function createStoreBlastRadiusSource(
  store: Store,
  sources: SpanSources = ownSpanSources(store),
): BlastRadiusSource {
  return {
    fetchBlastRadius: async (query) =>
      queryBlastRadius(store, query, await sources.tablesFor(query.source)),
  }
}

/** The role most requests had: callee, caller, or other (neither, e.g. a sibling call). */
export function toRole(requests: number, callee: number, caller: number): RelatedRole {
  const other = requests - callee - caller
  if (callee >= caller && callee >= other) return 'callee'
  if (caller >= other) return 'caller'
  return 'other'
}
