import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { renderAnalysisPage } from '../../../src/api/ui/page-views.js'
import { loadAnalysisReport } from '../../../src/report/load-report.ts'
import { renderReport } from '../../../src/report/render-report.ts'
import { startTestApp } from '../../helpers/app.ts'
import { seededRandom } from '../../helpers/kafka-streams.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { uniqueName, waitFor } from '../../helpers/store.ts'

const MINUTE_MS = 60_000
const MINUTES = 20
const EVENTS_PER_MINUTE = 30

/** Judges release events only: checkout duration (event values) and checkout failures (outcomes). */
const EVENTS_POLICY = {
  analysis: { minDuration: '5m', maxDuration: '2h' },
  metrics: [
    {
      name: 'checkout-duration',
      kind: 'numeric',
      source: 'checkout.completed',
      direction: 'higher',
      tolerance: '10%',
      minSamples: 200,
    },
    {
      name: 'checkout-failures',
      kind: 'numeric',
      source: 'outcome:checkout.completed',
      direction: 'higher',
      tolerance: { absolute: 0.05 },
      minSamples: 200,
    },
  ],
}

interface CohortEvents {
  readonly release: string
  /** Mean duration of a checkout, ms. */
  readonly meanMs: number
  readonly failureRate: number
}

interface EventSeriesBody {
  name: string
  points: { time: string; events: number; meanValue: number | null; failureRate: number | null }[]
}

interface VerdictBody {
  decision: string
  reasons: string[]
  metrics: { name: string; decision: string; baseline: { n: number }; canary: { n: number } }[]
}

/**
 * Release events end to end: produced to a Kafka `json` topic, stored by the workers that
 * `serve` runs, read by the verdict service for a policy of numeric event metrics, and judged
 * through the HTTP API.
 */
describe.skipIf(kafkaUnavailable())('verdicts on release events from Kafka', () => {
  let kafka: TestKafka
  let app: RunningApp
  let topic: string
  const startMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - (MINUTES + 2) * MINUTE_MS

  beforeAll(async () => {
    kafka = await connectTestKafka()
    topic = await kafka.createTopic('release_events')
    const config = testKafkaConfig({ [topic]: 'json' })
    app = await startTestApp({
      'kafka.brokers': config.brokers,
      'kafka.topics': config.topics,
      'kafka.groupId': config.groupId,
      'kafka.maxBatchWaitMs': config.maxBatchWaitMs,
    })
  })
  afterAll(async () => {
    await app?.stop()
    await kafka?.close()
  })

  /** Sends `MINUTES` complete minutes of checkouts of `service` for each cohort. */
  async function produceCheckouts(service: string, cohorts: readonly CohortEvents[]) {
    const random = seededRandom(7)
    const messages: { value: string }[] = []
    for (const cohort of cohorts) {
      for (let minute = 0; minute < MINUTES; minute++) {
        for (let n = 0; n < EVENTS_PER_MINUTE; n++) {
          const timestampMs = startMs + minute * MINUTE_MS + Math.floor(random() * MINUTE_MS)
          // Durations spread ±25% around the mean; failures at the cohort's rate.
          const value = cohort.meanMs * (0.75 + random() * 0.5)
          messages.push({
            value: releaseEvent({
              id: `${service}-${cohort.release}-${minute}-${n}`,
              service,
              release: cohort.release,
              timestamp: new Date(timestampMs).toISOString(),
              value: Math.round(value * 10) / 10,
              outcome: random() < cohort.failureRate ? 'failure' : 'success',
            }),
          })
        }
      }
    }
    for (let start = 0; start < messages.length; start += 500) {
      await kafka.producer.send({ topic, messages: messages.slice(start, start + 500) })
    }
    return messages.length
  }

  async function createAnalysis(service: string): Promise<string> {
    const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service,
        environment: 'production',
        baseline: { release: '1.4.2' },
        canary: { release: '1.5.0' },
        startTime: new Date(startMs).toISOString(),
        policy: EVENTS_POLICY,
      }),
    })
    expect(response.status).toBe(201)
    return ((await response.json()) as { id: string }).id
  }

  /** The verdict once both cohorts' events are all counted. */
  async function verdictWhenStored(id: string, eventsPerCohort: number): Promise<VerdictBody> {
    return waitFor(
      async () => {
        const verdict = (await (
          await fetch(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
        ).json()) as VerdictBody
        const duration = verdict.metrics.find((metric) => metric.name === 'checkout-duration')
        const complete =
          duration?.baseline.n === eventsPerCohort && duration.canary.n === eventsPerCohort
        return complete ? verdict : undefined
      },
      { what: `every event of analysis ${id} in its verdict`, timeoutMs: 120_000, intervalMs: 500 },
    )
  }

  it('rolls back a canary whose checkouts are clearly slower and fail more often', async () => {
    const service = uniqueName('checkout-bad')
    await produceCheckouts(service, [
      { release: '1.4.2', meanMs: 200, failureRate: 0.02 },
      { release: '1.5.0', meanMs: 300, failureRate: 0.2 },
    ])
    const id = await createAnalysis(service)
    const verdict = await verdictWhenStored(id, MINUTES * EVENTS_PER_MINUTE)
    expect(verdict.decision).toBe('rollback')
    expect(verdict.metrics.map((metric) => [metric.name, metric.decision])).toEqual([
      ['checkout-duration', 'worse'],
      ['checkout-failures', 'worse'],
    ])

    // The same events minute by minute: in the series API, on the page and in the report.
    const series = (await (await fetch(`${app.apiUrl}/api/v1/analyses/${id}/series`)).json()) as {
      baseline: { events: EventSeriesBody[] }
      canary: { events: EventSeriesBody[] }
    }
    for (const [cohort, meanMs] of [
      [series.baseline, 200],
      [series.canary, 300],
    ] as const) {
      expect(cohort.events.map((events) => events.name)).toEqual(['checkout.completed'])
      const points = cohort.events[0]!.points
      expect(points).toHaveLength(MINUTES)
      expect(points.reduce((sum, point) => sum + point.events, 0)).toBe(MINUTES * EVENTS_PER_MINUTE)
      for (const point of points)
        expect(Math.abs(point.meanValue! - meanMs)).toBeLessThan(meanMs * 0.15)
    }
    const analysis: unknown = await (await fetch(`${app.apiUrl}/api/v1/analyses/${id}`)).json()
    const page = String(
      renderAnalysisPage({ analysis, verdict, history: { verdicts: [] }, series }),
    )
    expect(page).toContain('data-chart="event-0-value"')
    expect(page).toContain('data-chart="event-0-failure-rate"')
    expect(page).toContain('checkout.completed: mean value')
    const report = renderReport(
      await loadAnalysisReport({ store: app.store, nowMs: Date.now(), version: 'test' }, id),
      { css: '' },
    )
    expect(report).toContain('data-chart="event-0-value"')
    expect(report).toContain('checkout.completed: failure rate')
  })

  it('promotes a canary whose checkouts are like the baseline', async () => {
    const service = uniqueName('checkout-same')
    await produceCheckouts(service, [
      { release: '1.4.2', meanMs: 200, failureRate: 0.02 },
      { release: '1.5.0', meanMs: 200, failureRate: 0.02 },
    ])
    const verdict = await verdictWhenStored(
      await createAnalysis(service),
      MINUTES * EVENTS_PER_MINUTE,
    )
    expect(verdict.metrics.map((metric) => [metric.name, metric.decision])).toEqual([
      ['checkout-duration', 'non-inferior'],
      ['checkout-failures', 'non-inferior'],
    ])
    expect(verdict.decision).toBe('promote')
  })
})
