import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Attributes } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonExporter,
} from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc'
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import type { RunningApp } from '../../src/app.ts'
import { loadAnalysisReport } from '../../src/report/load-report.ts'
import { startTestApp } from '../helpers/app.ts'
import { restoreSdkClock, setSdkClock } from '../helpers/sdk-clock.ts'
import { queryRows } from '../helpers/store.ts'

/**
 * Services that export OpenTelemetry metrics and no traces, as users instrument theirs: the
 * OpenTelemetry JS metrics SDK with the OTLP exporters, two instances per release: one cumulative
 * over HTTP/JSON, one delta over HTTP/protobuf (the first release) or gRPC (the second). The
 * analyses read only metrics.
 *
 * The SDK stamps its points with `Date.now()`; to send 14 minutes of history in seconds, the
 * test sets that clock before each recording and collection (`sdk-clock.ts`) and restores it
 * before asking for verdicts. Everything else is the real SDK, exporters and server.
 */
let app: RunningApp

/** The app's OTLP/gRPC address, as the gRPC exporter takes it. */
function grpcUrl(): string {
  if (app.otlpGrpcUrl === undefined) throw new Error('the test app serves no OTLP/gRPC')
  return app.otlpGrpcUrl
}
const MINUTE_MS = 60_000
const STEP_MS = 20_000
const HISTORY_MINUTES = 14
const startMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - (HISTORY_MINUTES + 1) * MINUTE_MS

/** The semantic conventions' advice for http.server.request.duration, in seconds. */
const SEMCONV_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

beforeAll(async () => {
  app = await startTestApp()
})

afterAll(async () => {
  restoreSdkClock()
  await app.stop()
})

interface Release {
  readonly service: string
  readonly version: string
  /** Requests each instance serves per 20 s step. */
  readonly requestsPerStep: number
  /** Every n-th request fails with a 500. */
  readonly failEvery: number
  /** Latencies are multiplied by this (median 40 ms). */
  readonly latencyScale: number
  readonly exponential: boolean
}

interface Instance {
  readonly provider: MeterProvider
  readonly record: (count: number, offset: number) => void
}

function createInstance(
  release: Release,
  name: string,
  temporality: 'cumulative' | 'delta',
  transport: 'http' | 'grpc' = 'http',
) {
  const options = {
    url: transport === 'grpc' ? grpcUrl() : `${app.otlpHttpUrl}/v1/metrics`,
    temporalityPreference:
      temporality === 'delta'
        ? AggregationTemporalityPreference.DELTA
        : AggregationTemporalityPreference.CUMULATIVE,
    ...(release.exponential
      ? {
          aggregationPreference: () => ({
            type: AggregationType.EXPONENTIAL_HISTOGRAM,
          }),
        }
      : {}),
  }
  const exporter: PushMetricExporter =
    transport === 'grpc'
      ? new GrpcExporter(options)
      : temporality === 'delta'
        ? new ProtoExporter(options)
        : new JsonExporter(options)
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': release.service,
      'service.version': release.version,
      'service.instance.id': name,
      'deployment.environment.name': 'production',
    }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  })
  const duration = provider
    .getMeter('http-server')
    .createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: SEMCONV_BUCKETS },
    })
  const record = (count: number, offset: number): void => {
    for (let i = 0; i < count; i++) {
      const index = offset + i
      const failed = index % release.failEvery === 0
      // A log-logistic latency (median 40 ms) at evenly spread quantiles.
      const u = (((index * 0.618_033_988_7) % 1) + 0.0005) / 1.001
      const seconds = release.latencyScale * 0.04 * (u / (1 - u)) ** 0.3
      const attributes: Attributes = {
        'http.request.method': 'POST',
        'http.route': '/checkout',
        'http.response.status_code': failed ? 500 : 200,
        ...(failed ? { 'error.type': '500' } : {}),
      }
      duration.record(seconds, attributes)
    }
  }
  return { provider, record } satisfies Instance
}

/**
 * Two releases, two instances each (cumulative over JSON; delta over protobuf, the second
 * release's over gRPC), 14 minutes.
 */
async function serve(releases: readonly Release[]): Promise<void> {
  const instances = releases.flatMap((release, r) => [
    { release, ...createInstance(release, `${release.version}-a`, 'cumulative') },
    {
      release,
      ...createInstance(release, `${release.version}-b`, 'delta', r === 0 ? 'http' : 'grpc'),
    },
  ])
  let served = 0
  try {
    for (let at = startMs; at < startMs + HISTORY_MINUTES * MINUTE_MS; at += STEP_MS) {
      setSdkClock(at + 1_000)
      for (const instance of instances) instance.record(instance.release.requestsPerStep, served)
      served += releases[0]!.requestsPerStep
      setSdkClock(at + STEP_MS - 1_000)
      // An export resolves on the receiver's 200, sent only once the points are stored.
      await Promise.all(instances.map((instance) => instance.provider.forceFlush()))
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.provider.shutdown()))
    restoreSdkClock()
  }
}

async function createAnalysis(service: string, baseline: string, canary: string): Promise<string> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service,
      environment: 'production',
      baseline: { release: baseline },
      canary: { release: canary },
      startTime: new Date(startMs).toISOString(),
      policy: { source: 'metrics' },
    }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

interface VerdictBody {
  decision: string
  reasons: string[]
  metrics: { name: string; decision: string; sentence: string; canary: { n: number } }[]
}

async function verdictOf(id: string): Promise<VerdictBody> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
  expect(response.status).toBe(200)
  return (await response.json()) as VerdictBody
}

const release = (service: string, version: string, fields: Partial<Release> = {}): Release => ({
  service,
  version,
  requestsPerStep: 400,
  failEvery: 200,
  latencyScale: 1,
  exponential: false,
  ...fields,
})

describe('OpenTelemetry metrics SDK clients against serve, metrics only', () => {
  it('stores both releases from both instances, cumulative and delta, with their counts', async () => {
    await serve([release('checkout', '1.4.2'), release('checkout', '1.5.0', { failEvery: 20 })])
    const rows = await queryRows<{ release: string; temporality: string; series: string }>(
      app.store,
      `SELECT release, temporality, toString(uniqExact(series_id)) AS series
       FROM ${app.store.database}.metric_points
       WHERE service = 'checkout' AND metric_name = 'http.server.request.duration'
       GROUP BY release, temporality ORDER BY release, temporality`,
    )
    expect(rows).toEqual([
      { release: '1.4.2', temporality: 'cumulative', series: '2' },
      { release: '1.4.2', temporality: 'delta', series: '2' },
      { release: '1.5.0', temporality: 'cumulative', series: '2' },
      { release: '1.5.0', temporality: 'delta', series: '2' },
    ])
  })

  it('rolls back a canary with 5% errors against a baseline with 0.5%, from metrics alone', async () => {
    const verdict = await verdictOf(await createAnalysis('checkout', '1.4.2', '1.5.0'))
    expect(verdict.decision).toBe('rollback')
    const errorRate = verdict.metrics.find((metric) => metric.name === 'error-rate')!
    expect(errorRate.decision).toBe('worse')
    // Two instances of 1,200 requests a minute, over the complete minutes since the start.
    expect(errorRate.canary.n).toBeGreaterThanOrEqual(2 * 1200 * (HISTORY_MINUTES - 1))
    expect(verdict.reasons.join(' ')).toMatch(/Read from OTLP metrics, not spans/)
  })

  it('draws the metric cohorts minute by minute for the page (/series) and the report', async () => {
    const id = await createAnalysis('checkout', '1.4.2', '1.5.0')
    const response = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/series`)
    expect(response.status).toBe(200)
    type Point = { requests: number; errors: number; errorRate: number; p95Ms: number | null }
    const series = (await response.json()) as {
      baseline: { points: Point[] }
      canary: { points: Point[] }
    }
    // Both instances' full minutes: 2 × 1,200 requests, 5% (canary) and 0.5% (baseline) failed.
    const full = (points: Point[]) => points.filter((point) => point.requests === 2400)
    expect(full(series.canary.points).length).toBeGreaterThanOrEqual(HISTORY_MINUTES - 2)
    expect(full(series.baseline.points).length).toBeGreaterThanOrEqual(HISTORY_MINUTES - 2)
    for (const point of full(series.canary.points)) {
      expect(point.errors).toBe(120)
      // The median latency is 40 ms: p95 lies in the semantic-convention buckets above it.
      expect(point.p95Ms).toBeGreaterThan(50)
      expect(point.p95Ms).toBeLessThanOrEqual(250)
    }
    for (const point of full(series.baseline.points)) expect(point.errors).toBe(12)

    const report = await loadAnalysisReport(
      { store: app.store, nowMs: Date.now(), version: 'test' },
      id,
    )
    const total = (points: readonly { requests: number }[]) =>
      points.reduce((sum, point) => sum + point.requests, 0)
    expect(total(report.analyses[0]!.canary)).toBe(total(series.canary.points))
    expect(total(report.analyses[0]!.canary)).toBeGreaterThan(0)
  })

  it('does not roll back a canary that behaves like its baseline', async () => {
    await serve([release('search', '2.0.0'), release('search', '2.1.0')])
    const verdict = await verdictOf(await createAnalysis('search', '2.0.0', '2.1.0'))
    expect(verdict.decision).not.toBe('rollback')
    expect(verdict.metrics.every((metric) => metric.decision !== 'worse')).toBe(true)
  })

  it('detects a +50% p95 latency shift from exponential histograms and says buckets limit it', async () => {
    await serve([
      release('payments', '3.0.0', { exponential: true }),
      release('payments', '3.1.0', { exponential: true, latencyScale: 1.5 }),
    ])
    const verdict = await verdictOf(await createAnalysis('payments', '3.0.0', '3.1.0'))
    expect(verdict.decision).toBe('rollback')
    const p95 = verdict.metrics.find((metric) => metric.name === 'latency-p95')!
    expect(p95.decision).toBe('worse')
    expect(p95.sentence).toMatch(/bucket boundaries limit what can be shown/)
    expect(verdict.metrics.find((metric) => metric.name === 'error-rate')!.decision).not.toBe(
      'worse',
    )
  })
})
