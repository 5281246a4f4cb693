import type { DataSource } from '../analysis/index.ts'
import { RhError } from '../errors.ts'

/** Which data sources this instance can read, from its configuration. */
export interface AvailableSources {
  /** `clickhouse.otelTraces.table` is set: `source: otel_traces` has a table to read. */
  readonly otelTraces: boolean
}

export const OWN_SOURCES_ONLY: AvailableSources = Object.freeze({ otelTraces: false })

/**
 * Refuses a policy whose source this instance cannot read, when the analysis is created or
 * its policy changed, rather than at every verdict: an analysis asking for the Collector
 * exporter's table on an instance that has none configured would otherwise only ever answer
 * with failed queries.
 */
export function assertSourceAvailable(source: DataSource, available: AvailableSources): void {
  if (source.kind !== 'spans' || source.table !== 'otel_traces' || available.otelTraces) return
  throw new RhError(
    'RH_POLICY_SOURCE_UNAVAILABLE',
    'policy.source is otel_traces, but this release-health instance reads no Collector exporter table: its operator sets clickhouse.otelTraces.table (RH_CLICKHOUSE_OTEL_TRACES_TABLE, e.g. otel.otel_traces), or leave source out to read the spans release-health ingests',
  )
}
