import { createHash, randomUUID } from 'node:crypto'
import type { Config } from '../config/defaults.ts'
import { RhError } from '../errors.ts'
import type { SpanTables } from './cohort-queries.ts'
import { toDateTimeText } from './date-time-text.ts'
import { insertRows } from './insert-rows.ts'
import { toOtelSpansSelect, toOtelTracesTable } from './otel-traces.ts'
import { toDeduplicationToken } from './safe-settings.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/**
 * Per-minute rollups of the Collector exporter's traces table, made on request
 * (`release-health otel-traces rollup`): the same two tables release-health keeps of its own
 * spans (`request_rollup_1m`, `latency_sample_1m`), filled by materialized views on the
 * exporter's table and a backfill of the rows already there. Both aggregate the SELECT behind
 * the `otel_spans` view, so a verdict read through them is the verdict read from the view's
 * raw rows. The tables are release-health's (schema migration 10); the views hang on a table
 * release-health does not own and are the only objects it ever adds to the exporter's side:
 * they run on each of the exporter's inserts, and dropping them
 * (`release-health otel-traces rollup --drop`) leaves the exporter's table as it was.
 *
 * Which rollup is in place is recorded in `otel_rollups`: verdicts read a rollup only once it
 * is `complete` and was made from the table and attribute mapping they are configured with.
 */
export const OTEL_ROLLUP_TABLES = {
  requests: 'otel_request_rollup_1m',
  latencySample: 'otel_latency_sample_1m',
} as const

/** The materialized views on the exporter's table, in release-health's database. */
export const OTEL_ROLLUP_VIEWS = {
  requests: 'otel_request_rollup_1m_mv',
  latencySample: 'otel_latency_sample_1m_mv',
} as const

export const OTEL_ROLLUP_STATE_TABLE = 'otel_rollups'

/**
 * How long a reader reuses what it read of `otel_rollups`; dropping a complete rollup waits
 * twice this after recording it, so that no verdict reads the rollup while it is emptied.
 */
export const OTEL_ROLLUP_LOOKUP_MS = 10_000

/** `filling`: views in place, backfill not done; verdicts keep reading raw rows. */
export type OtelRollupStateName = 'filling' | 'complete' | 'dropped'

export interface OtelRollupState {
  readonly state: OtelRollupStateName
  /** `clickhouse.otelTraces.table` when it was made: where verdicts read raw rows. */
  readonly readTable: string
  /** The table its views hang on (on a cluster, the one the exporter inserts into). */
  readonly insertTable: string
  /** {@link toOtelRollupDefinition} when it was made. */
  readonly definition: string
  /** Rows from this minute on are the views'; earlier ones were backfilled. */
  readonly cutoverMs: number
  readonly recordedAtMs: number
}

const MINUTE_MS = 60_000

/**
 * A digest of what the rollup aggregates: the SELECT of the exporter's rows as spans rows,
 * which holds the table and the attribute mapping. A rollup made under another configuration
 * would disagree with the view, so verdicts do not read it.
 */
export function toOtelRollupDefinition(readTable: string, mapping: Config['mapping']): string {
  return createHash('sha256')
    .update(toOtelSpansSelect(readTable, mapping))
    .digest('hex')
    .slice(0, 32)
}

/** The flag pairs a request counts under: ('', '') for the release as a whole, then each flag. */
const FLAG_PAIRS = `ARRAY JOIN arrayConcat(
        [tuple('', '')],
        CAST(arrayZip(mapKeys(flags), mapValues(flags)), 'Array(Tuple(String, String))')
      ) AS flag`

const GROUP_BY = 'GROUP BY minute, service, environment, release, flag_key, flag_variant'

/**
 * The aggregates of each rollup, as release-health's own views compute them (schema
 * migrations 1 and 3): the same columns, so the same cohort queries read either.
 */
const AGGREGATES: Readonly<Record<keyof typeof OTEL_ROLLUP_TABLES, string>> = {
  requests: `count() AS requests,
        sum(is_error) AS errors,
        sum(duration_ns / 1e6) AS duration_ms_sum,
        quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency_ms`,
  latencySample: `groupArraySortedState(256)(
          bitShiftLeft(toUInt128(cityHash64(timestamp, duration_ns)), 64) + duration_ns) AS sample`,
}

function toRollupSelect(
  kind: keyof typeof OTEL_ROLLUP_TABLES,
  spansSelect: string,
  condition: string,
): string {
  return `SELECT
        toStartOfMinute(timestamp) AS minute,
        service,
        environment,
        release,
        flag.1 AS flag_key,
        flag.2 AS flag_variant,
        ${AGGREGATES[kind]}
      FROM (${spansSelect})
      ${FLAG_PAIRS}
      WHERE is_entry = 1 AND ${condition}
      ${GROUP_BY}`
}

/** `timestamp` against the cut-over minute, a number from our own clock (checked). */
function cutoverCondition(cutoverMs: number, operator: '>=' | '<'): string {
  if (!Number.isSafeInteger(cutoverMs) || cutoverMs % MINUTE_MS !== 0 || cutoverMs <= 0) {
    throw new RhError('RH_INTERNAL', `the cut-over must be a whole minute, got ${cutoverMs}`)
  }
  return `timestamp ${operator} toDateTime(${cutoverMs / 1000}, 'UTC')`
}

/**
 * The two materialized views on `insertTable`, writing the exporter's rows of the cut-over
 * minute and later into the rollup tables of `database`.
 */
export function toOtelRollupViewStatements(
  database: string,
  insertTable: string,
  mapping: Config['mapping'],
  cutoverMs: number,
): string[] {
  const select = toOtelSpansSelect(toOtelTracesTable(insertTable), mapping)
  return (Object.keys(OTEL_ROLLUP_TABLES) as (keyof typeof OTEL_ROLLUP_TABLES)[]).map(
    (kind) =>
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${OTEL_ROLLUP_VIEWS[kind]} TO ${database}.${OTEL_ROLLUP_TABLES[kind]} AS
      ${toRollupSelect(kind, select, cutoverCondition(cutoverMs, '>='))}`,
  )
}

/** The backfill: the rows of `readTable` from before the cut-over minute, once. */
export function toOtelRollupBackfillStatements(
  database: string,
  readTable: string,
  mapping: Config['mapping'],
  cutoverMs: number,
): string[] {
  const select = toOtelSpansSelect(readTable, mapping)
  return (Object.keys(OTEL_ROLLUP_TABLES) as (keyof typeof OTEL_ROLLUP_TABLES)[]).map(
    (kind) =>
      `INSERT INTO ${database}.${OTEL_ROLLUP_TABLES[kind]} ${toRollupSelect(kind, select, cutoverCondition(cutoverMs, '<'))}`,
  )
}

/** The views first (the exporter's inserts stop feeding the tables), then the tables' rows. */
export function toOtelRollupDropStatements(database: string): string[] {
  return [
    ...Object.values(OTEL_ROLLUP_VIEWS).map((view) => `DROP VIEW IF EXISTS ${database}.${view}`),
    ...Object.values(OTEL_ROLLUP_TABLES).map(
      (table) => `TRUNCATE TABLE IF EXISTS ${database}.${table}`,
    ),
  ]
}

interface StateRow {
  readonly state: OtelRollupStateName
  readonly read_table: string
  readonly insert_table: string
  readonly definition: string
  readonly cutover: string
  readonly recorded_at: string
}

/** The newest entry of `otel_rollups`, or undefined when no rollup was ever made. */
export async function readOtelRollupState(store: Store): Promise<OtelRollupState | undefined> {
  const [row] = await selectRows<StateRow>(
    store,
    `SELECT state, read_table, insert_table, definition, cutover, recorded_at
     FROM ${store.database}.${OTEL_ROLLUP_STATE_TABLE} ORDER BY recorded_at DESC LIMIT 1`,
  )
  if (row === undefined) return undefined
  return {
    state: row.state,
    readTable: row.read_table,
    insertTable: row.insert_table,
    definition: row.definition,
    cutoverMs: Date.parse(row.cutover),
    recordedAtMs: Date.parse(row.recorded_at),
  }
}

/**
 * Appends an entry; its time comes after the newest one's even if clocks disagree, so that the
 * newest entry is always the last one written.
 */
export async function recordOtelRollupState(
  store: Store,
  entry: Omit<OtelRollupState, 'recordedAtMs'>,
  options: { nowMs: number; previous: OtelRollupState | undefined },
): Promise<OtelRollupState> {
  const recordedAtMs = Math.max(options.nowMs, (options.previous?.recordedAtMs ?? 0) + 1)
  await insertRows(store, {
    table: OTEL_ROLLUP_STATE_TABLE,
    rows: [
      {
        state: entry.state,
        read_table: entry.readTable,
        insert_table: entry.insertTable,
        definition: entry.definition,
        cutover: toDateTimeText(entry.cutoverMs),
        recorded_at: toDateTimeText(recordedAtMs),
      },
    ],
    deduplicationToken: toDeduplicationToken('otel-rollup', [entry.state, randomUUID()]),
  })
  return { ...entry, recordedAtMs }
}

/**
 * The rollup tables verdicts may read for the exporter's `readTable` under `mapping`, or
 * undefined while there is none complete and current.
 */
export async function findOtelRollup(
  store: Store,
  readTable: string,
  mapping: Config['mapping'],
): Promise<SpanTables['rollups']> {
  return toReadableRollup(store.database, await readOtelRollupState(store), readTable, mapping)
}

/** The rollup tables when `state` is complete and made under this table and mapping. */
export function toReadableRollup(
  database: string,
  state: OtelRollupState | undefined,
  readTable: string,
  mapping: Config['mapping'],
): SpanTables['rollups'] {
  if (state?.state !== 'complete') return undefined
  if (state.definition !== toOtelRollupDefinition(readTable, mapping)) return undefined
  return {
    requests: `${database}.${OTEL_ROLLUP_TABLES.requests}`,
    latencySample: `${database}.${OTEL_ROLLUP_TABLES.latencySample}`,
  }
}

/** The start of the first whole minute at least `leadMs` after `nowMs`. */
export function toCutoverMs(nowMs: number, leadMs: number): number {
  return Math.ceil((nowMs + leadMs) / MINUTE_MS) * MINUTE_MS
}
