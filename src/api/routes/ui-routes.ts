import type { FastifyInstance } from 'fastify'
import type { SeriesSource } from '../../store/series-queries.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import { registerPageRoutes } from './page-routes.ts'
import { registerSeriesRoutes } from './series-routes.ts'

export interface UiRoutesOptions {
  readonly verdicts: VerdictService
  /** Without it the page still lists analyses and verdicts, but draws no cohort charts. */
  readonly series?: SeriesSource | undefined
}

/** What people look at: the series API behind the charts, and the built-in page at `/`. */
export function registerUiRoutes(app: FastifyInstance, options: UiRoutesOptions): void {
  if (options.series !== undefined) {
    registerSeriesRoutes(app, { verdicts: options.verdicts, series: options.series })
  }
  registerPageRoutes(app)
}
