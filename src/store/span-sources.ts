import type { DataSource, SpanTable } from '../analysis/index.ts'
import type { Config } from '../config/defaults.ts'
import { RhError } from '../errors.ts'
import type { AvailableSources } from '../verdicts/source-availability.ts'
import { ownSpanTables, type SpanTables } from './cohort-queries.ts'
import { OTEL_SPANS_VIEW } from './otel-traces.ts'
import type { Store } from './store-client.ts'

/**
 * Where the spans of each analysis are read: release-health's own tables, or the `otel_spans`
 * view over the Collector exporter's table, chosen by the analysis' `policy.source` and, when
 * that names no table, by the instance's default.
 */
export interface SpanSources {
  /** What the instance can read, for the check when analyses are created. */
  readonly available: AvailableSources
  /**
   * The tables spans of `source` are read from; a metrics source or none: the default's.
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
  /** `clickhouse.otelTraces` (and the mapping the view is made with); undefined: no table. */
  readonly config:
    { readonly clickhouse: Config['clickhouse']; readonly mapping: Config['mapping'] } | undefined
}

/** Span sources of an instance's configuration. */
export function createSpanSources(options: SpanSourcesOptions): SpanSources {
  const { store } = options
  const otelTraces = options.config?.clickhouse.otelTraces ?? { table: '', readByDefault: false }
  const own = ownSpanTables(store)
  const configured = otelTraces.table !== ''
  const defaultTable: SpanTable = configured && otelTraces.readByDefault ? 'otel_traces' : 'spans'
  const view: SpanTables = { spans: `${store.database}.${OTEL_SPANS_VIEW}` }
  return {
    available: { otelTraces: configured },
    tablesFor(source) {
      const table = (source?.kind === 'spans' ? source.table : undefined) ?? defaultTable
      if (table === 'spans') return Promise.resolve(own)
      if (!configured) {
        return Promise.reject(
          new RhError(
            'RH_POLICY_SOURCE_UNAVAILABLE',
            'this analysis reads the Collector exporter table (source otel_traces), but clickhouse.otelTraces.table is no longer set on this instance',
          ),
        )
      }
      return Promise.resolve(view)
    },
  }
}
