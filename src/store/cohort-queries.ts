import type { CohortQuery } from '../verdicts/analysis-definition.ts'
import type { Store } from './store-client.ts'

/**
 * Aggregate queries over request entry spans for one cohort. Every value reaches ClickHouse
 * as a bound parameter; only the validated database name is part of the SQL text.
 */
const COHORT_FILTER = `
  service = {service:String}
  AND ({environment:String} = '' OR environment = {environment:String})
  AND ({release:String} = '' OR release = {release:String})
  AND ({flagKey:String} = '' OR flags[{flagKey:String}] = {flagVariant:String})
  AND timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
  AND timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
  AND is_entry = 1`

export interface CohortCounts {
  readonly requests: number
  readonly errors: number
}

export interface MinuteCounts extends CohortCounts {
  readonly startMs: number
}

export function toQueryParams(query: CohortQuery): Record<string, string | number> {
  return {
    service: query.service,
    environment: query.environment,
    release: query.selector.release ?? '',
    flagKey: query.selector.flag?.key ?? '',
    flagVariant: query.selector.flag?.variant ?? '',
    fromMs: Math.floor(query.fromMs),
    toMs: Math.floor(query.toMs),
  }
}

export async function queryMinuteCounts(store: Store, query: CohortQuery): Promise<MinuteCounts[]> {
  const rows = await select<{ minute_ms: string; requests: string; errors: string }>(
    store,
    `SELECT toUnixTimestamp64Milli(toDateTime64(toStartOfMinute(timestamp), 3, 'UTC')) AS minute_ms,
            count() AS requests, sum(is_error) AS errors
     FROM ${store.database}.spans
     WHERE ${COHORT_FILTER}
     GROUP BY minute_ms ORDER BY minute_ms`,
    toQueryParams(query),
  )
  return rows.map((row) => ({
    startMs: Number(row.minute_ms),
    requests: Number(row.requests),
    errors: Number(row.errors),
  }))
}

/**
 * A uniform sample of request latencies, at most `maxLatencySamples`. Spans are kept when a
 * hash of their ids falls under a threshold, so the sample is the same for the same data
 * (verdicts replay exactly) and grows consistently as data arrives.
 */
export async function queryLatencySample(
  store: Store,
  query: CohortQuery,
  requests: number,
): Promise<number[]> {
  if (requests === 0) return []
  const fraction = Math.min(1, query.maxLatencySamples / requests)
  const rows = await select<{ latency_ms: number }>(
    store,
    `SELECT duration_ns / 1e6 AS latency_ms
     FROM ${store.database}.spans
     WHERE ${COHORT_FILTER}
       AND cityHash64(trace_id, span_id) <= toUInt64({hashLimit:String})
     ORDER BY cityHash64(trace_id, span_id)
     LIMIT {limit:UInt32}`,
    {
      ...toQueryParams(query),
      hashLimit: hashLimit(fraction),
      limit: query.maxLatencySamples,
    },
  )
  return rows.map((row) => Number(row.latency_ms))
}

/** The largest 64-bit hash kept for a sampling fraction in [0, 1], as a decimal string. */
export function hashLimit(fraction: number): string {
  const max = 2n ** 64n - 1n
  if (fraction >= 1) return max.toString()
  const scaled = BigInt(Math.floor(fraction * 2 ** 53))
  return ((max * scaled) >> 53n).toString()
}

async function select<T>(
  store: Store,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}
