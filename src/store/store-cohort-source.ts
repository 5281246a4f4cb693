import { toMessage } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { CohortSource } from '../verdicts/cohort-source.ts'
import { queryLatencySampleByMinute, queryMinuteCounts } from './cohort-queries.ts'
import { queryEventValues } from './event-cohort-queries.ts'
import { fetchMetricCohort } from './metric-cohort-queries.ts'
import type { Store } from './store-client.ts'
import { ownSpanSources, type SpanSources } from './span-sources.ts'

/**
 * Cohort data from the spans and their rollups (per-minute counts and a bounded latency
 * sample) or, when the policy's source is a metric, from metric points (`fetchMetricCohort`);
 * for numeric metrics, from the release events (`queryEventValues`). `sources` says where each
 * query's spans are read, by its policy source: release-health's own tables by default, or the
 * view over the Collector exporter's table (`src/store/span-sources.ts`).
 */
export function createStoreCohortSource(
  store: Store,
  logger: Logger,
  spanSources: SpanSources = ownSpanSources(store),
): CohortSource {
  return {
    async fetchCohort(query) {
      try {
        if (query.source?.kind === 'metrics') {
          const sources = query.valueSources ?? []
          const [snapshot, values] = await Promise.all([
            fetchMetricCohort(store, query, query.source),
            sources.length === 0 ? {} : queryEventValues(store, query, sources),
          ])
          return { ok: true, data: { ...snapshot, values } }
        }
        const tables = await spanSources.tablesFor(query.source)
        const minutes = await queryMinuteCounts(store, query, tables)
        let requests = 0
        let errors = 0
        for (const minute of minutes) {
          requests += minute.requests
          errors += minute.errors
        }
        // Per-minute samples make minutes the units of the judge's latency rule.
        const byMinute = await queryLatencySampleByMinute(store, query, minutes, tables)
        const latencyMs: number[] = []
        const withSamples = minutes.map((minute) => {
          const sample = byMinute.get(minute.startMs)
          if (sample === undefined) return minute
          for (const value of sample) latencyMs.push(value)
          return { ...minute, latencyMs: sample }
        })
        const sources = query.valueSources ?? []
        const values = sources.length === 0 ? {} : await queryEventValues(store, query, sources)
        return { ok: true, data: { requests, errors, latencyMs, minutes: withSamples, values } }
      } catch (error) {
        logger.warn({ err: toMessage(error), service: query.service }, 'cohort query failed')
        return { ok: false, error: `the store query failed: ${toMessage(error)}` }
      }
    },
  }
}
