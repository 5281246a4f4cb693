import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk'
import { SpanEventHook } from '@openfeature/open-telemetry-hooks'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { queryRows } from '../helpers/store.ts'
import { watchExports } from '../helpers/watched-exporter.ts'

/**
 * A service instrumented as users instrument theirs: the OpenTelemetry SDK exporting over
 * OTLP (protobuf for one release, JSON for the other), and OpenFeature evaluating a flag with
 * its OpenTelemetry span-event hook. Nothing here knows release-health's internals.
 */
let app: RunningApp
const TRAFFIC_MS = 6 * 60_000
const trafficStartMs = Date.now() - TRAFFIC_MS - 60_000
const startTime = new Date(trafficStartMs - 60_000).toISOString()

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  await OpenFeature.setProviderAndWait(
    new InMemoryProvider({
      'new-checkout': {
        variants: { on: true, off: false },
        defaultVariant: 'on',
        disabled: false,
      },
    }),
  )
  OpenFeature.addHooks(new SpanEventHook())
  app = await startTestApp()
})

afterAll(async () => {
  await app.stop()
  await OpenFeature.close()
})

interface Release {
  readonly service: string
  readonly version: string
  readonly exporter: 'proto' | 'json'
  readonly requests: number
  /** Every n-th request fails. */
  readonly failEvery: number
}

/**
 * Serves `requests` HTTP requests through the real SDK and waits until the exporter is done.
 * Their start times are spread over the past six minutes, as real traffic would be: the judge
 * reads complete minutes only.
 */
async function runRelease(release: Release): Promise<void> {
  const url = `${app.otlpHttpUrl}/v1/traces`
  const exporter =
    release.exporter === 'proto' ? new ProtoExporter({ url }) : new JsonExporter({ url })
  const failures = watchExports(exporter)
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': release.service,
      'service.version': release.version,
      'deployment.environment.name': 'production',
    }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, maxQueueSize: 100_000 }),
    ],
  })
  const tracer = provider.getTracer('checkout-handler')
  const flags = OpenFeature.getClient()
  for (let index = 0; index < release.requests; index++) {
    const startMs = trafficStartMs + (index * TRAFFIC_MS) / release.requests
    const options = { kind: SpanKind.SERVER, startTime: startMs }
    await tracer.startActiveSpan('POST /checkout', options, async (span) => {
      await flags.getBooleanValue('new-checkout', false)
      const failed = index % release.failEvery === 0
      span.setAttribute('http.route', '/checkout')
      span.setAttribute('http.response.status_code', failed ? 500 : 200)
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment backend timeout' })
      span.end(startMs + 5 + (index % 20))
    })
  }
  // Export resolves on the receiver's 200, which is sent only once rows are stored.
  await provider.forceFlush()
  await provider.shutdown()
  expect(failures, 'span batches the SDK failed to export').toEqual([])
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
      startTime,
    }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

async function verdictOf(id: string): Promise<{ decision: string; reasons: string[] }> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
  expect(response.status).toBe(200)
  return (await response.json()) as { decision: string; reasons: string[] }
}

describe('OpenTelemetry SDK and OpenFeature clients against serve', () => {
  it('stores spans of both releases, over protobuf and JSON, with service, release, environment and flag variant', async () => {
    await runRelease({
      service: 'checkout',
      version: '1.4.2',
      exporter: 'proto',
      requests: 4_000,
      failEvery: 200,
    })
    await runRelease({
      service: 'checkout',
      version: '1.5.0',
      exporter: 'json',
      requests: 4_000,
      failEvery: 20,
    })

    const rows = await queryRows<{
      release: string
      environment: string
      variant: string
      requests: string
      errors: string
    }>(
      app.store,
      `SELECT release, environment, flags['new-checkout'] AS variant, count() AS requests, sum(is_error) AS errors
       FROM ${app.store.database}.spans WHERE service = 'checkout'
       GROUP BY release, environment, variant ORDER BY release`,
    )
    expect(rows).toEqual([
      {
        release: '1.4.2',
        environment: 'production',
        variant: 'on',
        requests: '4000',
        errors: '20',
      },
      {
        release: '1.5.0',
        environment: 'production',
        variant: 'on',
        requests: '4000',
        errors: '200',
      },
    ])
  })

  it('rolls back a canary with ~5% errors against a baseline with ~0.5%', async () => {
    const id = await createAnalysis('checkout', '1.4.2', '1.5.0')
    const verdict = await verdictOf(id)
    expect(verdict.decision).toBe('rollback')
    expect(verdict.reasons.join(' ')).toMatch(/error/i)
  })

  it('does not roll back a canary that behaves like its baseline', async () => {
    await runRelease({
      service: 'search',
      version: '2.0.0',
      exporter: 'json',
      requests: 3_000,
      failEvery: 100,
    })
    await runRelease({
      service: 'search',
      version: '2.1.0',
      exporter: 'proto',
      requests: 3_000,
      failEvery: 100,
    })
    const id = await createAnalysis('search', '2.0.0', '2.1.0')
    const verdict = await verdictOf(id)
    expect(verdict.decision).not.toBe('rollback')
  })
})
