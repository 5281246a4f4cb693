import type { OverviewSource } from '../verdicts/release-overview.ts'
import { selectRows } from './select-rows.ts'
import { ownSpanSources, type SpanSources } from './span-sources.ts'
import type { Store } from './store-client.ts'

/**
 * The release overview's reads (`GET /api/v1/overview`, the page at `/`, the Release overview
 * dashboard): every service's releases and flag variants from a request rollup, and every
 * recorded decision change. Every value is a bound parameter; table names come from the
 * configuration, never from a request.
 */

/**
 * The overview's rows from the store: releases and flag variants from the request rollup of
 * the instance's default span source (`sources.tablesFor(undefined)`), so an instance that
 * reads the Collector exporter's table by default lists its services once its rollup is made
 * (`release-health otel-traces rollup`). Without that rollup it lists release-health's own:
 * the exporter's raw rows are not read here, as first-seen times would need all of them on
 * every look at the page.
 */
export function createStoreOverviewSource(
  store: Store,
  sources: SpanSources = ownSpanSources(store),
): OverviewSource {
  return {
    cohorts: async (window) => {
      const requestRollup = (await sources.tablesFor(undefined)).rollups?.requests
      return queryOverviewCohorts(
        store,
        window,
        requestRollup === undefined ? {} : { requestRollup },
      )
    },
    decisionChanges: (window) => queryDecisionChanges(store, window),
  }
}

/** One release (flag '' / '') or flag variant of a service in the window. */
export interface OverviewCohortRow {
  readonly service: string
  readonly environment: string
  /** '' for a flag variant row: variants are counted over every release. */
  readonly release: string
  readonly flagKey: string
  readonly flagVariant: string
  /** First minute with requests over everything stored before the window's end, epoch ms. */
  readonly firstSeenMs: number
  readonly lastSeenMs: number
  /** Requests and errors in the recent part of the window (traffic shares, burn rates). */
  readonly recentRequests: number
  readonly recentErrors: number
}

export interface OverviewWindow {
  readonly fromMs: number
  readonly toMs: number
  /** Start of the recent part: what is "in flight" now. */
  readonly recentFromMs: number
}

/**
 * Services' releases and flag variants with requests in the window, at most `limit` rows, from
 * `requestRollup` (`database.table` with the columns of `request_rollup_1m`): release-health's
 * own by default, the exporter's (`otel_request_rollup_1m`) on an instance that reads the
 * Collector exporter's table by default and has made its rollup.
 */
export async function queryOverviewCohorts(
  store: Store,
  window: OverviewWindow,
  options: { readonly limit?: number; readonly requestRollup?: string } = {},
): Promise<OverviewCohortRow[]> {
  const limit = options.limit ?? 2_000
  const requestRollup = options.requestRollup ?? `${store.database}.request_rollup_1m`
  const rows = await selectRows<{
    service: string
    environment: string
    change_release: string
    flag_key: string
    flag_variant: string
    first_ms: string | number
    last_ms: string | number
    recent_requests: string | number
    recent_errors: string | number
  }>(
    store,
    `SELECT service, environment, if(flag_key = '', release, '') AS change_release,
            flag_key, flag_variant,
            toUnixTimestamp(min(minute)) * 1000 AS first_ms,
            toUnixTimestamp(max(minute)) * 1000 AS last_ms,
            sumIf(requests, minute >= toDateTime(intDiv({recentFromMs:Int64}, 1000), 'UTC')) AS recent_requests,
            sumIf(errors, minute >= toDateTime(intDiv({recentFromMs:Int64}, 1000), 'UTC')) AS recent_errors
     FROM ${requestRollup}
     WHERE minute < toDateTime(intDiv({toMs:Int64}, 1000), 'UTC')
     GROUP BY service, environment, change_release, flag_key, flag_variant
     HAVING last_ms >= {fromMs:Int64}
     ORDER BY service, environment, flag_key, change_release, flag_variant
     LIMIT {limit:UInt32}`,
    {
      fromMs: Math.floor(window.fromMs),
      toMs: Math.ceil(window.toMs),
      recentFromMs: Math.floor(window.recentFromMs),
      limit,
    },
  )
  return rows.map((row) => ({
    service: row.service,
    environment: row.environment,
    release: row.change_release,
    flagKey: row.flag_key,
    flagVariant: row.flag_variant,
    firstSeenMs: Number(row.first_ms),
    lastSeenMs: Number(row.last_ms),
    recentRequests: Number(row.recent_requests),
    recentErrors: Number(row.recent_errors),
  }))
}

/** A recorded verdict whose decision differs from the one recorded before it. */
export interface DecisionChangeRow {
  /** An analysis id, or a train id (`train-…`). */
  readonly id: string
  readonly evaluatedAtMs: number
  readonly decision: string
  readonly reason: string
}

/**
 * Decision changes of every analysis and train recorded in the window, oldest first: the
 * first recorded verdict of each, then each one whose decision differs from its predecessor
 * (controllers' repeated polls are left out).
 */
export async function queryDecisionChanges(
  store: Store,
  window: { fromMs: number; toMs: number },
  limit = 2_000,
): Promise<DecisionChangeRow[]> {
  const rows = await selectRows<{
    analysis_id: string
    evaluated_ms: string | number
    decision: string
    reason: string
  }>(
    store,
    `SELECT analysis_id, evaluated_ms, decision, reason FROM (
       SELECT analysis_id, toUnixTimestamp64Milli(evaluated_at) AS evaluated_ms, decision,
              reasons[1] AS reason,
              lagInFrame(decision, 1, '') OVER (
                PARTITION BY analysis_id ORDER BY evaluated_at
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS previous
       FROM ${store.database}.verdicts
       WHERE evaluated_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
     )
     WHERE decision != previous AND evaluated_ms >= {fromMs:Int64}
     ORDER BY evaluated_ms, analysis_id
     LIMIT {limit:UInt32}`,
    { fromMs: Math.floor(window.fromMs), toMs: Math.ceil(window.toMs), limit },
  )
  return rows.map((row) => ({
    id: row.analysis_id,
    evaluatedAtMs: Number(row.evaluated_ms),
    decision: row.decision,
    reason: row.reason,
  }))
}
