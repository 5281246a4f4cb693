import type { FastifyInstance } from 'fastify'
import type { TrainService } from '../../verdicts/train-service.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import {
  toReleaseOverview,
  type OverviewSource,
  type ReleaseOverview,
} from '../../verdicts/release-overview.ts'
import { overviewBody, overviewQuery } from './overview-schemas.ts'

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** Analyses and trains the overview names, newest first. */
const MAX_LISTED = 200

export interface OverviewRoutesOptions {
  readonly source: OverviewSource
  readonly verdicts: VerdictService
  readonly trains?: TrainService | undefined
  readonly sloOf: (service: string, environment: string) => number
  readonly now: () => number
}

/** `GET /api/v1/overview`: every service's releases and flag variants, and the release calendar. */
export function registerOverviewRoutes(app: FastifyInstance, options: OverviewRoutesOptions): void {
  app.get(
    '/api/v1/overview',
    {
      schema: {
        summary: 'Every service: releases and flag variants in flight, and the release calendar',
        description:
          'Traffic shares, error rates and error-budget burn over the recent minutes; analyses and trains per service (their live verdicts are at their verdict routes); releases and flag variants that first served traffic in the window and every recorded decision change, oldest first.',
        operationId: 'getOverview',
        tags: ['analyses'],
        querystring: overviewQuery,
        response: { 200: overviewBody },
      },
    },
    async (request): Promise<ReleaseOverview> => {
      const { hours, recentMinutes } = request.query as { hours: number; recentMinutes: number }
      const toMs = Math.ceil(options.now() / MINUTE_MS) * MINUTE_MS
      const window = {
        fromMs: toMs - hours * HOUR_MS,
        toMs,
        recentFromMs: toMs - Math.min(recentMinutes * MINUTE_MS, hours * HOUR_MS),
      }
      const [cohorts, changes, analyses, trains] = await Promise.all([
        options.source.cohorts(window),
        options.source.decisionChanges(window),
        options.verdicts.list({ limit: MAX_LISTED }),
        options.trains?.list({ limit: MAX_LISTED }) ?? [],
      ])
      return toReleaseOverview({
        window,
        cohorts,
        changes,
        analyses: analyses.filter((analysis) => analysis.startMs < toMs),
        trains,
        sloOf: options.sloOf,
      })
    },
  )
}
