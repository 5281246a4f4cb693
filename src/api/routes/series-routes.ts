import type { FastifyInstance } from 'fastify'
import { parsePolicy } from '../../analysis/index.ts'
import { RhError } from '../../errors.ts'
import type { EventSeries } from '../../store/event-cohort-queries.ts'
import type { SeriesPoint, SeriesSource } from '../../store/series-queries.ts'
import type { AnalysisDefinition, CohortSelector } from '../../verdicts/analysis-definition.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import { errorBody, idParams } from '../schemas.ts'
import { parseRequestTime } from '../../verdicts/time-range.ts'

/** A week of minutes: enough for any canary, and a bounded answer (10,080 points a cohort). */
export const MAX_SERIES_WINDOW_MS = 7 * 24 * 3_600_000

const ONE_MINUTE_MS = 60_000

export interface SeriesRoutesOptions {
  readonly verdicts: VerdictService
  readonly series: SeriesSource
  /** The clock that ends the default window; Date.now when left out. */
  readonly now?: () => number
}

const seriesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: {
      type: 'string',
      format: 'date-time',
      description: 'Start of the window; default: the analysis start',
    },
    to: {
      type: 'string',
      format: 'date-time',
      description:
        'End of the window; default: the start of the current minute (at most 7 days after from)',
    },
  },
} as const

const nullableNumber = { type: ['number', 'null'] } as const

const seriesPointBody = {
  type: 'object',
  required: ['time', 'requests', 'errors', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms'],
  properties: {
    time: { type: 'string', format: 'date-time', description: 'Start of the minute' },
    requests: { type: 'integer' },
    errors: { type: 'integer' },
    errorRate: { ...nullableNumber, description: 'errors / requests' },
    p50Ms: {
      ...nullableNumber,
      description:
        'Median latency, ms: a t-digest estimate from spans, or interpolated within its histogram bucket when the analysis reads OTLP metrics',
    },
    p95Ms: nullableNumber,
    p99Ms: nullableNumber,
  },
} as const

const eventSeriesBody = {
  type: 'object',
  required: ['name', 'points'],
  properties: {
    name: { type: 'string', description: 'Event name (release events, docs/kafka-json-events.md)' },
    points: {
      type: 'array',
      items: {
        type: 'object',
        required: ['time', 'events', 'meanValue', 'failureRate'],
        properties: {
          time: { type: 'string', format: 'date-time', description: 'Start of the minute' },
          events: { type: 'integer' },
          meanValue: { ...nullableNumber, description: 'Mean of the event values' },
          failureRate: {
            ...nullableNumber,
            description: 'Failed events among those with an outcome',
          },
        },
      },
    },
  },
} as const

const cohortSeriesBody = {
  type: 'object',
  required: ['selector', 'points'],
  properties: {
    selector: { type: 'object', additionalProperties: true },
    points: { type: 'array', items: seriesPointBody },
    events: {
      type: 'array',
      items: eventSeriesBody,
      description: 'Release events by name (the busiest 8), minute by minute',
    },
  },
} as const

export const seriesBody = {
  type: 'object',
  required: ['analysisId', 'from', 'to', 'stepSeconds', 'baseline', 'canary'],
  properties: {
    analysisId: { type: 'string' },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    stepSeconds: { type: 'integer', description: 'Points are per minute' },
    baseline: cohortSeriesBody,
    canary: cohortSeriesBody,
  },
} as const

/** `GET /api/v1/analyses/{id}/series`: each cohort minute by minute, from the rollup or the analysis' metric. */
export function registerSeriesRoutes(app: FastifyInstance, options: SeriesRoutesOptions): void {
  app.get(
    '/api/v1/analyses/:id/series',
    {
      schema: {
        summary:
          'Per-minute requests, errors, latency quantiles and release events of both cohorts',
        description:
          'Minutes without requests are left out. The window defaults to the analysis start until now.',
        params: idParams,
        querystring: seriesQuery,
        response: { 200: seriesBody, 400: errorBody, 404: errorBody, 503: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { from, to } = request.query as { from?: string; to?: string }
      const analysis = await options.verdicts.find(id)
      if (analysis === undefined) {
        throw new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(id)}`)
      }
      const window = toWindow(analysis, from, to, (options.now ?? Date.now)())
      const query = {
        service: analysis.service,
        environment: analysis.environment,
        ...window,
        source: parsePolicy(analysis.policy).source,
      }
      const eventSeries = (selector: CohortSelector): Promise<EventSeries[]> =>
        options.series.eventSeries?.({ ...query, selector }) ?? Promise.resolve([])
      const [baseline, canary, baselineEvents, canaryEvents] = await Promise.all([
        options.series.cohortSeries({ ...query, selector: analysis.baseline }),
        options.series.cohortSeries({ ...query, selector: analysis.canary }),
        eventSeries(analysis.baseline),
        eventSeries(analysis.canary),
      ])
      return {
        analysisId: id,
        from: new Date(window.fromMs).toISOString(),
        to: new Date(window.toMs).toISOString(),
        stepSeconds: ONE_MINUTE_MS / 1000,
        baseline: toCohortBody(analysis.baseline, baseline, baselineEvents),
        canary: toCohortBody(analysis.canary, canary, canaryEvents),
      }
    },
  )
}

function toWindow(
  analysis: AnalysisDefinition,
  from: string | undefined,
  to: string | undefined,
  nowMs: number,
): { fromMs: number; toMs: number } {
  const fromMs = from === undefined ? analysis.startMs : parseRequestTime('"from"', from)
  // By default the minute in progress is left out, as the judge leaves it out: drawn, its
  // partial count would look like a sudden drop in traffic.
  const lastCompleteMinuteMs = Math.floor(nowMs / ONE_MINUTE_MS) * ONE_MINUTE_MS
  const toMs =
    to === undefined
      ? Math.max(fromMs, Math.min(lastCompleteMinuteMs, fromMs + MAX_SERIES_WINDOW_MS))
      : parseRequestTime('"to"', to)
  if (toMs < fromMs) {
    throw new RhError('RH_API_INVALID_REQUEST', '"to" must not be before "from"')
  }
  if (toMs - fromMs > MAX_SERIES_WINDOW_MS) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      'the window is longer than 7 days; ask for a shorter range with "from" and "to"',
    )
  }
  return { fromMs, toMs }
}

function toCohortBody(
  selector: CohortSelector,
  points: readonly SeriesPoint[],
  events: readonly EventSeries[],
): Record<string, unknown> {
  return {
    selector,
    events: events.map((series) => ({
      name: series.name,
      points: series.minutes.map((minute) => ({
        time: new Date(minute.startMs).toISOString(),
        events: minute.events,
        meanValue: minute.meanValue,
        failureRate: minute.failureRate,
      })),
    })),
    points: points.map((point) => ({
      time: new Date(point.startMs).toISOString(),
      requests: point.requests,
      errors: point.errors,
      errorRate: point.requests === 0 ? null : point.errors / point.requests,
      p50Ms: point.p50Ms,
      p95Ms: point.p95Ms,
      p99Ms: point.p99Ms,
    })),
  }
}
