import type { DataSource, SpanTable } from '../analysis/index.ts'
import type { Config } from '../config/defaults.ts'
import { RhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AvailableSources } from '../verdicts/source-availability.ts'
import { ownSpanTables, type SpanTables } from './cohort-queries.ts'
import { OTEL_ROLLUP_LOOKUP_MS, readOtelRollupState, toReadableRollup } from './otel-rollup.ts'
import { otelSpansTables } from './otel-traces.ts'
import type { Store } from './store-client.ts'

/**
 * Where the spans of each analysis are read: release-health's own tables, or the `otel_spans`
 * view over the Collector exporter's table (with its rollup once one is complete), chosen by
 * the analysis' `policy.source` and, when that names no table, by the instance's default.
 */
export interface SpanSources {
  /** What the instance can read, for the check when analyses are created. */
  readonly available: AvailableSources
  /**
   * The tables spans of `source` are read from now; a metrics source or none: the default's.
   * Rejects with `RH_POLICY_SOURCE_UNAVAILABLE` for `otel_traces` on an instance without it
   * (an analysis stored before its table was unset).
   */
  tablesFor(source: DataSource | undefined): Promise<SpanTables>
}

/** release-health's own tables for every analysis: an instance without an exporter table. */
export function ownSpanSources(store: Store): SpanSources {
  return createSpanSources({ store, config: undefined })
}

export interface SpanSourcesOptions {
  readonly store: Store
  /**
   * `clickhouse.otelTraces` and the attribute mapping the `otel_spans` view is made with;
   * undefined: no exporter table.
   */
  readonly config:
    { readonly clickhouse: Config['clickhouse']; readonly mapping: Config['mapping'] } | undefined
  readonly logger?: Logger
  readonly now?: () => number
  /** How long a look at which rollup is in place is reused ({@link OTEL_ROLLUP_LOOKUP_MS}). */
  readonly rollupLookupMs?: number
}

/**
 * Span sources of an instance's configuration. Whether the exporter's table has a complete
 * rollup is looked up at most once per `rollupLookupMs` (a rollup made or dropped while
 * `serve` runs is picked up without a restart); a failed look reads raw rows, which are always
 * right, only slower.
 */
export function createSpanSources(options: SpanSourcesOptions): SpanSources {
  const { store } = options
  const otelTraces = options.config?.clickhouse.otelTraces ?? { table: '', readByDefault: false }
  const own = ownSpanTables(store)
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const lookupMs = options.rollupLookupMs ?? OTEL_ROLLUP_LOOKUP_MS
  const configured = otelTraces.table !== ''
  const defaultTable: SpanTable = configured && otelTraces.readByDefault ? 'otel_traces' : 'spans'
  const view = otelSpansTables(store.database)
  let looked: { readonly atMs: number; readonly tables: Promise<SpanTables> } | undefined
  let usingRollup = false
  let warnedStale = false

  async function lookUp(mapping: Config['mapping']): Promise<SpanTables> {
    try {
      const state = await readOtelRollupState(store)
      const rollups = toReadableRollup(store.database, state, otelTraces.table, mapping)
      if ((rollups !== undefined) !== usingRollup) {
        usingRollup = rollups !== undefined
        logger.info(
          { table: otelTraces.table, rollup: usingRollup },
          usingRollup
            ? 'reading the exporter table through its complete rollup'
            : 'reading the exporter table row by row (no complete rollup of it)',
        )
      }
      if (rollups === undefined && state?.state === 'complete' && !warnedStale) {
        warnedStale = true
        logger.warn(
          { table: otelTraces.table, rollupOf: state.readTable },
          'the exporter table rollup in place was made under another table, attribute mapping or release-health version of its view than this instance reads with: verdicts read raw rows; run `release-health otel-traces rollup` with this configuration to make it again',
        )
      }
      return rollups === undefined ? view : { ...view, rollups }
    } catch (error) {
      logger.warn({ err: toMessage(error) }, 'could not look up the exporter table rollup')
      return view
    }
  }

  return {
    available: { otelTraces: configured },
    async tablesFor(source) {
      const table = (source?.kind === 'spans' ? source.table : undefined) ?? defaultTable
      if (table === 'spans') return own
      const mapping = options.config?.mapping
      if (!configured || mapping === undefined) {
        throw new RhError(
          'RH_POLICY_SOURCE_UNAVAILABLE',
          'this analysis reads the Collector exporter table (source otel_traces), but clickhouse.otelTraces.table is no longer set on this instance',
        )
      }
      const nowMs = now()
      if (looked === undefined || nowMs - looked.atMs >= lookupMs) {
        looked = { atMs: nowMs, tables: lookUp(mapping) }
      }
      return looked.tables
    },
  }
}
