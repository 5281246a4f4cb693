import { toMessage } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { CohortSource } from '../verdicts/cohort-source.ts'
import { queryLatencySample, queryMinuteCounts } from './cohort-queries.ts'
import type { Store } from './store-client.ts'

/** Cohort data from the raw spans table: per-minute counts and a bounded latency sample. */
export function createStoreCohortSource(store: Store, logger: Logger): CohortSource {
  return {
    async fetchCohort(query) {
      try {
        const minutes = await queryMinuteCounts(store, query)
        let requests = 0
        let errors = 0
        for (const minute of minutes) {
          requests += minute.requests
          errors += minute.errors
        }
        const latencyMs = await queryLatencySample(store, query, minutes)
        return { ok: true, data: { requests, errors, latencyMs, minutes } }
      } catch (error) {
        logger.warn({ err: toMessage(error), service: query.service }, 'cohort query failed')
        return { ok: false, error: `the store query failed: ${toMessage(error)}` }
      }
    },
  }
}
