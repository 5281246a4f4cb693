import type { Config } from '../config/defaults.ts'
import { RhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { CLUSTER_INSERT_SETTINGS, toClusterStatements } from './cluster-ddl.ts'
import {
  OTEL_ROLLUP_LOOKUP_MS,
  OTEL_ROLLUP_VIEWS,
  readOtelRollupState,
  recordOtelRollupState,
  toCutoverMs,
  toOtelRollupBackfillStatements,
  toOtelRollupDefinition,
  toOtelRollupDropStatements,
  toOtelRollupViewStatements,
  type OtelRollupState,
} from './otel-rollup.ts'
import { toOtelTracesTable } from './otel-traces.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/** What making or dropping the rollup needs; the clock and the wait are injected. */
export interface OtelRollupOptions {
  readonly store: Store
  readonly config: {
    readonly clickhouse: Config['clickhouse']
    readonly mapping: Config['mapping']
  }
  /**
   * The table the exporter inserts into, where the views hang; default
   * `clickhouse.otelTraces.table`. On a cluster whose exporter writes to each shard's local
   * table rather than through a Distributed one, that local table.
   */
  readonly insertTable?: string
  /** How long after its minute a span is assumed stored (`api.ingestLagMs`). */
  readonly ingestLagMs: number
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
  readonly logger?: Logger
  /** How long readers reuse a look at the rollup's state (they use {@link OTEL_ROLLUP_LOOKUP_MS}). */
  readonly readerLookupMs?: number
}

/** The views are made at least this long before their first minute starts. */
const CUTOVER_LEAD_MS = 60_000
/** Longest single wait, so that progress is logged and an interrupt is prompt. */
const WAIT_STEP_MS = 5_000

/**
 * Makes the exporter table's rollup, or says it is in place already:
 *
 * 1. the cut-over C is the start of a minute at least a minute ahead;
 * 2. the views are created on the exporter's table, taking rows from minute C on, and the
 *    rollup is recorded `filling` (verdicts keep reading raw rows);
 * 3. once C plus the ingest lag has passed, so that the rows of minutes before C are in the
 *    table, those rows are backfilled, once;
 * 4. the rollup is recorded `complete`, and verdicts read it from their next look.
 *
 * A rollup left `filling` by an interrupted run, or made under another table or mapping, is
 * dropped first and made again. Spans of a minute before C that reach the table after the
 * backfill, later than the ingest lag, are not in the rollup; the verdicts' frozen minutes
 * have left such spans out too.
 */
export async function createOtelRollup(
  options: OtelRollupOptions,
): Promise<{ readonly outcome: 'created' | 'current'; readonly state: OtelRollupState }> {
  const { store, config } = options
  const logger = options.logger ?? silentLogger
  const readTable = configuredTable(config)
  const insertTable = toOtelTracesTable(options.insertTable ?? readTable)
  const definition = toOtelRollupDefinition(readTable, config.mapping)
  let previous = await readOtelRollupState(store)
  if (
    previous?.state === 'complete' &&
    previous.definition === definition &&
    previous.insertTable === insertTable &&
    (await viewsInPlace(store))
  ) {
    return { outcome: 'current', state: previous }
  }
  if (previous !== undefined && previous.state !== 'dropped') {
    logger.info(
      { state: previous.state, readTable: previous.readTable },
      'dropping the rollup in place first: unfinished, or made under another configuration',
    )
    previous = await dropOtelRollup(options)
  }
  const cutoverMs = toCutoverMs(options.now(), CUTOVER_LEAD_MS)
  const entry = { readTable, insertTable, definition, cutoverMs }
  for (const statement of toOtelRollupViewStatements(
    store.database,
    insertTable,
    config.mapping,
    cutoverMs,
  )) {
    await run(store, config, statement)
  }
  previous = await recordOtelRollupState(
    store,
    { ...entry, state: 'filling' },
    { nowMs: options.now(), previous },
  )
  const backfillAtMs = cutoverMs + options.ingestLagMs
  logger.info(
    {
      insertTable,
      cutover: new Date(cutoverMs).toISOString(),
      backfillAt: new Date(backfillAtMs).toISOString(),
    },
    'views in place: the rows of earlier minutes are backfilled once the cut-over minute and the ingest lag have passed',
  )
  for (let nowMs = options.now(); nowMs < backfillAtMs; nowMs = options.now()) {
    await options.sleep(Math.min(WAIT_STEP_MS, backfillAtMs - nowMs))
  }
  for (const statement of toOtelRollupBackfillStatements(
    store.database,
    readTable,
    config.mapping,
    cutoverMs,
  )) {
    await run(store, config, statement)
  }
  const state = await recordOtelRollupState(
    store,
    { ...entry, state: 'complete' },
    { nowMs: options.now(), previous },
  )
  logger.info({ readTable, cutover: new Date(cutoverMs).toISOString() }, 'rollup complete')
  return { outcome: 'created', state }
}

/**
 * Drops the rollup: recorded `dropped` first, then, if verdicts may be reading it, a wait of
 * two of their lookup periods, then its views (the exporter's inserts no longer feed it) and
 * its rows. Returns the state recorded, or undefined when no rollup was ever made.
 */
export async function dropOtelRollup(
  options: Omit<OtelRollupOptions, 'insertTable' | 'ingestLagMs'>,
): Promise<OtelRollupState | undefined> {
  const { store, config } = options
  const previous = await readOtelRollupState(store)
  let state = previous
  if (previous !== undefined && previous.state !== 'dropped') {
    state = await recordOtelRollupState(
      store,
      { ...previous, state: 'dropped' },
      { nowMs: options.now(), previous },
    )
    if (previous.state === 'complete') {
      await options.sleep(2 * (options.readerLookupMs ?? OTEL_ROLLUP_LOOKUP_MS))
    }
  }
  for (const statement of toOtelRollupDropStatements(store.database)) {
    await run(store, config, statement)
  }
  return state
}

/** Whether both views exist, on this server. */
async function viewsInPlace(store: Store): Promise<boolean> {
  const rows = await selectRows<{ name: string }>(
    store,
    'SELECT name FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
    { db: store.database, names: Object.values(OTEL_ROLLUP_VIEWS) },
  )
  return rows.length === Object.values(OTEL_ROLLUP_VIEWS).length
}

function configuredTable(config: OtelRollupOptions['config']): string {
  const table = config.clickhouse.otelTraces.table
  if (table === '') {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'a rollup of the Collector exporter table needs the table: set clickhouse.otelTraces.table (RH_CLICKHOUSE_OTEL_TRACES_TABLE), e.g. otel.otel_traces',
    )
  }
  return toOtelTracesTable(table)
}

/**
 * One statement, in its cluster form when `clickhouse.cluster` is set: the views and tables on
 * every server, the backfill once, through the Distributed tables, written to the shards
 * before the INSERT returns (so that `complete` is recorded after the rows are readable).
 */
async function run(
  store: Store,
  config: OtelRollupOptions['config'],
  statement: string,
): Promise<void> {
  const cluster = config.clickhouse.cluster
  const statements = cluster === '' ? [statement] : toClusterStatements(statement, cluster)
  for (const query of statements) {
    try {
      await store.client.command({
        query,
        ...(cluster !== '' && query.startsWith('INSERT')
          ? { clickhouse_settings: CLUSTER_INSERT_SETTINGS }
          : {}),
      })
    } catch (error) {
      throw new RhError(
        'RH_STORE_QUERY_FAILED',
        `the exporter table rollup failed on ${store.location}: ${toMessage(error)}\nstatement: ${query.slice(0, 200)}`,
        { cause: error },
      )
    }
  }
}
