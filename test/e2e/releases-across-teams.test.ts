import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { watchExports } from '../helpers/watched-exporter.ts'

/**
 * Releases across teams, with services instrumented as users instrument theirs: each service
 * its own OpenTelemetry SDK (its resource names its service and release) exporting over
 * OTLP/protobuf, and W3C trace context carried from caller to callee, so that a request's
 * spans in three services share one trace id.
 */
let app: RunningApp
const TRAFFIC_MS = 10 * 60_000
// Traffic ends three minutes ago: the blast radius reads a minute once it ended a minute
// before the watermark (30 s of ingest lag).
const trafficStartMs = Date.now() - TRAFFIC_MS - 3 * 60_000
const startTime = new Date(trafficStartMs).toISOString()
const providers: NodeTracerProvider[] = []
/** Each exporter's failed batches (watchExports), checked at every flush. */
const exportFailures: string[][] = []

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  app = await startTestApp()
})

afterAll(async () => {
  await app?.stop()
})

/** A service at one release, with its own SDK and exporter, as a deployment has. */
function serviceTracer(service: string, version: string): Tracer {
  const exporter = new OTLPTraceExporter({ url: `${app.otlpHttpUrl}/v1/traces` })
  exportFailures.push(watchExports(exporter))
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': service,
      'service.version': version,
      'deployment.environment.name': 'production',
    }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, { maxExportBatchSize: 1024, maxQueueSize: 200_000 }),
    ],
  })
  providers.push(provider)
  return provider.getTracer(`${service}-handler`)
}

/**
 * Flushes every SDK, one after the other. A flush exports all of an SDK's batches at once,
 * and the receiver refuses a burst beyond its in-flight budget with 429 (which starts small
 * and grows), after which the SDK gives up on its retries: so the traffic is flushed every
 * FLUSH_EVERY requests, each SDK one body at a time. The receiver answers only once the rows
 * are stored.
 */
async function flushAll(): Promise<void> {
  for (const provider of providers.splice(0)) await provider.shutdown()
  expect(exportFailures.splice(0).flat(), 'span batches the SDKs failed to export').toEqual([])
}

interface Hop {
  readonly tracer: Tracer
  readonly name: string
  /** Whether this request fails in this service. */
  readonly fails: (index: number) => boolean
}

/**
 * One request through a chain of services: each hop's SERVER span is a child of the caller's,
 * the context crossing as `traceparent` headers (inject in the caller, extract in the callee).
 */
function serveChain(hops: readonly Hop[], index: number, startMs: number): void {
  let headers: Record<string, string> = {}
  const spans = hops.map((hop, depth) => {
    const parent: Context = propagation.extract(context.active(), headers)
    const span = hop.tracer.startSpan(
      hop.name,
      { kind: SpanKind.SERVER, startTime: startMs + depth },
      parent,
    )
    headers = {}
    propagation.inject(trace.setSpan(parent, span), headers)
    return span
  })
  // Callees end first; a failed callee is seen by its caller, which still answers.
  for (let depth = hops.length - 1; depth >= 0; depth--) {
    const hop = hops[depth]!
    const span = spans[depth]!
    const failed = hop.fails(index)
    span.setAttribute('http.response.status_code', failed ? 500 : 200)
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end(startMs + 40 - depth * 10 + (index % 7))
  }
}

/** Requests between flushes: each SDK then exports one body at a time (see flushAll). */
const FLUSH_EVERY = 500

async function traffic(
  requests: number,
  serve: (index: number, startMs: number) => void,
): Promise<void> {
  for (let index = 0; index < requests; index++) {
    serve(index, trafficStartMs + Math.floor((index * TRAFFIC_MS) / requests))
    if (index % FLUSH_EVERY === FLUSH_EVERY - 1)
      for (const provider of providers) await provider.forceFlush()
  }
}

async function post(path: string, body: unknown): Promise<string> {
  const response = await fetch(`${app.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(response.status, await response.clone().text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${app.apiUrl}${path}`)
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as T
}

interface MetricView {
  name: string
  decision: string
  critical: boolean
  blastRadius?: { service: string; role: string }
}
interface VerdictView {
  decision: string
  reasons: string[]
  metrics: MetricView[]
}
interface TrainView {
  decision: string
  reasons: string[]
  causes: { member: string; metric: string }[]
  members: (VerdictView & { service: string })[]
}

/** Judged on error rates alone, ten minutes at most: what these tests vary. */
const ERRORS_ONLY = {
  analysis: { minDurationSeconds: 300, maxDurationSeconds: 3600 },
  metrics: [{ name: 'error-rate', kind: 'error-rate', minSamples: 500 }],
}

describe('a canary that breaks the service it calls', () => {
  it('is rolled back on the blast-radius metric of its callee while its own error rate is unchanged', async () => {
    // web -> checkout -> payment. checkout 1.5.0 sends payment requests it cannot serve.
    const web = serviceTracer('web', '7.0.0')
    const checkout = {
      '1.4.2': serviceTracer('checkout', '1.4.2'),
      '1.5.0': serviceTracer('checkout', '1.5.0'),
    }
    const payment = serviceTracer('payment', '3.0.0')
    const REQUESTS = 8_000
    await traffic(REQUESTS, (index, startMs) => {
      const canary = index % 2 === 1
      serveChain(
        [
          { tracer: web, name: 'GET /cart', fails: () => false },
          {
            tracer: checkout[canary ? '1.5.0' : '1.4.2'],
            name: 'POST /checkout',
            // The same 0.5% on both releases: checkout itself is not worse.
            fails: (i) => i % 200 < 2,
          },
          {
            tracer: payment,
            name: 'POST /charge',
            // On the canary's traces payment fails 6% of the time, on the baseline's 0.5%.
            fails: (i) => (canary ? i % 100 < 12 : i % 200 < 2),
          },
        ],
        index,
        startMs,
      )
    })
    await flushAll()

    const id = await post('/api/v1/analyses', {
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.4.2' },
      canary: { release: '1.5.0' },
      startTime,
      policy: ERRORS_ONLY,
    })
    const verdict = await get<VerdictView>(`/api/v1/analyses/${id}/verdict`)

    expect(verdict.decision).toBe('rollback')
    const own = verdict.metrics.find((metric) => metric.name === 'error-rate')
    expect(own?.decision).not.toBe('worse')
    const blast = verdict.metrics.find(
      (metric) => metric.name === 'blast-radius:payment:error-rate',
    )
    expect(blast).toMatchObject({
      decision: 'worse',
      critical: true,
      blastRadius: { service: 'payment', role: 'callee' },
    })
    // The caller is on both cohorts' traces too, and it is not worse.
    const caller = verdict.metrics.find((metric) => metric.name === 'blast-radius:web:error-rate')
    expect(caller).toMatchObject({ blastRadius: { service: 'web', role: 'caller' } })
    expect(caller?.decision).not.toBe('worse')
    expect(verdict.reasons.join(' ')).toMatch(/payment/)

    const frozen = await get<{ minutes: { service: string; cohort: string; errors: number }[] }>(
      `/api/v1/analyses/${id}/blast-radius`,
    )
    const paymentErrors = (cohort: string): number =>
      frozen.minutes
        .filter((row) => row.service === 'payment' && row.cohort === cohort)
        .reduce((sum, row) => sum + row.errors, 0)
    expect(paymentErrors('canary')).toBeGreaterThan(4 * paymentErrors('baseline'))
  })

  it('is not rolled back on the blast radius when the policy says it may not', async () => {
    const id = await post('/api/v1/analyses', {
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.4.2' },
      canary: { release: '1.5.0' },
      startTime,
      policy: { ...ERRORS_ONLY, blastRadius: { rollback: false } },
    })
    const verdict = await get<VerdictView>(`/api/v1/analyses/${id}/verdict`)
    expect(verdict.decision).not.toBe('rollback')
    expect(verdict.decision).not.toBe('promote')
    const blast = verdict.metrics.find(
      (metric) => metric.name === 'blast-radius:payment:error-rate',
    )
    expect(blast).toMatchObject({ decision: 'worse', critical: false })
  })
})

describe('a release train of two services', () => {
  const REQUESTS = 6_000
  /** orders and billing each serve their own requests; `failing` names who is worse. */
  async function shipTrain(tag: string, failing: 'billing' | 'none'): Promise<void> {
    const orders = {
      base: serviceTracer(`orders-${tag}`, '2.0.0'),
      canary: serviceTracer(`orders-${tag}`, '2.1.0'),
    }
    const billing = {
      base: serviceTracer(`billing-${tag}`, '5.0.0'),
      canary: serviceTracer(`billing-${tag}`, '5.1.0'),
    }
    await traffic(REQUESTS, (index, startMs) => {
      const canary = index % 2 === 1
      serveChain(
        [
          {
            tracer: canary ? orders.canary : orders.base,
            name: 'POST /orders',
            fails: () => false,
          },
        ],
        index,
        startMs,
      )
      serveChain(
        [
          {
            tracer: canary ? billing.canary : billing.base,
            name: 'POST /invoice',
            fails: (i) => canary && failing === 'billing' && i % 100 < 10,
          },
        ],
        index,
        startMs,
      )
    })
  }

  async function createTrain(tag: string): Promise<string> {
    return post('/api/v1/trains', {
      name: `release-${tag}`,
      environment: 'production',
      startTime,
      policy: {
        ...ERRORS_ONLY,
        metrics: [
          {
            name: 'error-rate',
            kind: 'error-rate',
            minSamples: 500,
            tolerance: { relative: 0.25, absolute: 0.005 },
          },
        ],
      },
      members: [
        {
          service: `orders-${tag}`,
          baseline: { release: '2.0.0' },
          canary: { release: '2.1.0' },
        },
        {
          service: `billing-${tag}`,
          baseline: { release: '5.0.0' },
          canary: { release: '5.1.0' },
        },
      ],
    })
  }

  it('rolls back when one member is worse, naming the service and metric', async () => {
    await shipTrain('a', 'billing')
    await flushAll()
    const id = await createTrain('a')
    const verdict = await get<TrainView>(`/api/v1/trains/${id}/verdict`)
    expect(verdict.decision).toBe('rollback')
    expect(verdict.causes).toEqual([{ member: 'billing-a', metric: 'error-rate' }])
    expect(verdict.members.map((member) => [member.service, member.decision])).toEqual([
      ['orders-a', 'promote'],
      ['billing-a', 'rollback'],
    ])
    expect(verdict.reasons[0]).toMatch(/billing-a/)

    // Any member's controller polls the same train, and every poll is in the audit trail.
    const argo = await get<TrainView>(
      `/api/v1/argo-rollouts/trains/${id}/verdict?service=orders-a&requester=argo-orders`,
    )
    expect(argo.decision).toBe('rollback')
    const flagger = await fetch(`${app.apiUrl}/api/v1/flagger/rollout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orders', namespace: 'shop', metadata: { trainId: id } }),
    })
    expect(flagger.status).toBe(412)
    const history = await get<{ verdicts: { decision: string; requester: string }[] }>(
      `/api/v1/trains/${id}/verdicts`,
    )
    expect(history.verdicts.map((record) => record.requester)).toEqual(
      expect.arrayContaining(['argo-orders (orders-a)', 'flagger/rollout (orders)']),
    )
    expect(history.verdicts.every((record) => record.decision === 'rollback')).toBe(true)
  })

  it('promotes when both members are fine, and replays an earlier verdict with ?at=', async () => {
    await shipTrain('b', 'none')
    await flushAll()
    const id = await createTrain('b')
    const verdict = await get<TrainView>(`/api/v1/trains/${id}/verdict`)
    expect(verdict.reasons.join(' ')).not.toMatch(/could not/)
    expect(verdict.decision).toBe('promote')
    expect(verdict.causes).toEqual([])
    expect(verdict.members.map((member) => member.decision)).toEqual(['promote', 'promote'])

    // Two minutes in, the train was shorter than its minimum duration: it had to wait.
    const early = new Date(trafficStartMs + 2 * 60_000).toISOString()
    const replay = await get<TrainView>(`/api/v1/trains/${id}/verdict?at=${early}`)
    expect(replay.decision).toBe('continue')

    const flagger = await fetch(`${app.apiUrl}/api/v1/flagger/confirm-promotion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'billing', namespace: 'shop', metadata: { trainId: id } }),
    })
    expect(flagger.status).toBe(200)
  })

  it('refuses a train that names one service twice', async () => {
    const response = await fetch(`${app.apiUrl}/api/v1/trains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'twice',
        members: [
          { service: 'x', baseline: { release: '1' }, canary: { release: '2' } },
          { service: 'x', baseline: { release: '1' }, canary: { release: '3' } },
        ],
      }),
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(/twice/)
  })
})

describe('the OpenAPI document', () => {
  it('describes the train, blast-radius and overview endpoints with their scopes', async () => {
    const openapi = await get<{
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>
    }>('/openapi.json')
    const scopes = (path: string, method: string): string[] =>
      openapi.paths[path]?.[method]?.security?.flatMap((entry) => entry.bearerAuth ?? []) ?? []
    expect(scopes('/api/v1/trains', 'post')).toEqual(['admin'])
    expect(scopes('/api/v1/trains', 'get')).toEqual(['read'])
    expect(scopes('/api/v1/trains/{id}', 'get')).toEqual(['read'])
    expect(scopes('/api/v1/trains/{id}/verdict', 'get')).toEqual(['read', 'controller'])
    expect(scopes('/api/v1/trains/{id}/verdicts', 'get')).toEqual(['read'])
    expect(scopes('/api/v1/argo-rollouts/trains/{id}/verdict', 'get')).toEqual(['controller'])
    expect(scopes('/api/v1/analyses/{id}/blast-radius', 'get')).toEqual(['read'])
    expect(scopes('/api/v1/overview', 'get')).toEqual(['read'])
  })
})
