import { toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { createLinkerLease, type LinkerLease } from './flag-linker-lease.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

export interface FlagEvaluationLinkerOptions {
  readonly store: Store
  /** How often a pass runs (`otlp.flagEvaluations.linkIntervalMs`). */
  readonly intervalMs: number
  /** How long an evaluation waits for its span (`otlp.flagEvaluations.spanWaitMs`). */
  readonly spanWaitMs: number
  readonly now?: () => number
  readonly logger?: Logger
}

export interface FlagEvaluationLinker {
  /** Runs a pass every `intervalMs` until stopped. */
  start(): void
  /** Stops the passes; resolves once a pass under way has finished. */
  stop(): Promise<void>
  /** One pass now (tests, and the first one at start): whether this process linked. */
  linkOnce(): Promise<LinkPass>
}

export type LinkPass =
  | { readonly ran: false; readonly reason: 'another linker holds the lease' | 'nothing waiting' }
  | { readonly ran: true; readonly evaluations: number }

/** A flag is evaluated while its request runs: its span starts at most this long before. */
const SPAN_BEFORE_EVALUATION_MS = 15 * 60_000
/** ...and not after it, but clocks of hosts differ a little. */
const SPAN_AFTER_EVALUATION_MS = 60_000
const MIN_LEASE_MS = 10_000

/**
 * Links `feature_flag.evaluation` log records to the request spans they name, so that a
 * flag-variant cohort counts a request whose flag came as a log record exactly as if it had
 * come as a span event (the semantic conventions' current form; span events are the older).
 *
 * A log record and its span travel apart (other requests, other batches, often the log
 * first: SDKs export logs every second, spans every five) and may reach different
 * processes, so they meet in the store. Each pass takes the evaluations that arrived within
 * `spanWaitMs` (`flag_evaluations`, by arrival), finds their entry spans (`spans`, by
 * trace and span id), and writes one `span_log_flags` row per span and flag not linked
 * before; a materialized view adds it to `request_rollup_1m`, where flag cohorts are read.
 * So an evaluation arriving any time after its span is linked by the next pass, and a span
 * arriving after its evaluation is linked if it comes within `spanWaitMs`.
 *
 * Rules, as for span events: a flag the span carries itself (event or attribute) wins; of
 * several evaluations of one flag for one span linked in the same pass the latest counts,
 * and once linked a span's flag does not change. Passes are idempotent (a link is never
 * written twice) and run in one process at a time (`flag-linker-lease.ts`).
 *
 * Joining in the store at each pass is what keeps verdicts fast: flag cohorts read the
 * rollup, whereas joining spans and evaluations at query time took 7 to 15 s at 10 million
 * spans on the embedded engine.
 */
export function createFlagEvaluationLinker(
  options: FlagEvaluationLinkerOptions,
): FlagEvaluationLinker {
  const { store, intervalMs, spanWaitMs } = options
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const lease: LinkerLease = createLinkerLease({
    store,
    leaseMs: Math.max(MIN_LEASE_MS, intervalMs * 3),
    startedAtMs: now(),
  })
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false

  const linkOnce = async (): Promise<LinkPass> => {
    if (!(await lease.holds())) return { ran: false, reason: 'another linker holds the lease' }
    return linkPending(store, now() - spanWaitMs)
  }

  const tick = (): void => {
    timer = undefined
    if (stopped) return
    const pass = linkOnce().then(
      (result) => {
        if (result.ran) logger.debug({ evaluations: result.evaluations }, 'flag evaluations linked')
      },
      (error: unknown) => logger.warn({ err: toMessage(error) }, 'linking flag evaluations failed'),
    )
    running = pass.finally(() => {
      running = undefined
      if (!stopped) timer = setTimeout(tick, intervalMs)
    })
  }

  return {
    start() {
      if (timer === undefined && running === undefined) tick()
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      await running
    },
    linkOnce,
  }
}

interface PendingStats {
  readonly evaluations: string
  readonly min_ms: string
  readonly max_ms: string
  readonly services: readonly string[]
}

/** One pass over the evaluations received since `fromMs` (see the linker). */
async function linkPending(store: Store, fromMs: number): Promise<LinkPass> {
  const db = store.database
  const [stats] = await selectRows<PendingStats>(
    store,
    `SELECT count() AS evaluations,
            toUnixTimestamp64Milli(min(timestamp)) AS min_ms,
            toUnixTimestamp64Milli(max(timestamp)) AS max_ms,
            groupUniqArray(service) AS services
     FROM ${db}.flag_evaluations
     WHERE received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`,
    { fromMs: Math.floor(fromMs) },
  )
  const evaluations = Number(stats?.evaluations ?? 0)
  if (stats === undefined || evaluations === 0) return { ran: false, reason: 'nothing waiting' }
  const params = {
    fromMs: Math.floor(fromMs),
    services: stats.services,
    spansFromMs: Number(stats.min_ms) - SPAN_BEFORE_EVALUATION_MS,
    spansToMs: Number(stats.max_ms) + SPAN_AFTER_EVALUATION_MS,
  }
  const pending = `SELECT trace_id, span_id FROM ${db}.flag_evaluations
    WHERE received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`
  const spanWindow = `service IN {services:Array(String)}
    AND timestamp >= fromUnixTimestamp64Milli({spansFromMs:Int64}, 'UTC')
    AND timestamp < fromUnixTimestamp64Milli({spansToMs:Int64}, 'UTC')`
  await store.client.command({
    query: `INSERT INTO ${db}.span_log_flags
      (timestamp, service, environment, release, flag_key, flag_variant, is_error, duration_ns,
       trace_id, span_id)
      SELECT s.timestamp, s.service, s.environment, s.release, e.flag_key, e.flag_variant,
             s.is_error, s.duration_ns, s.trace_id, s.span_id
      FROM (
        SELECT trace_id, span_id, flag_key,
               argMax(flag_variant, (timestamp, flag_variant)) AS flag_variant
        FROM ${db}.flag_evaluations
        WHERE received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
        GROUP BY trace_id, span_id, flag_key
      ) AS e
      INNER JOIN (
        SELECT timestamp, service, environment, release, is_error, duration_ns, trace_id,
               span_id, flags
        FROM ${db}.spans
        WHERE ${spanWindow} AND is_entry = 1 AND (trace_id, span_id) IN (${pending})
      ) AS s ON s.trace_id = e.trace_id AND s.span_id = e.span_id
      WHERE NOT mapContains(s.flags, e.flag_key)
        AND (s.trace_id, s.span_id, e.flag_key) NOT IN (
          SELECT trace_id, span_id, flag_key FROM ${db}.span_log_flags WHERE ${spanWindow})`,
    query_params: params,
  })
  return { ran: true, evaluations }
}
