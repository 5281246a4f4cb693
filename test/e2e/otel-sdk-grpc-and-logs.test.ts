import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { logs, SeverityNumber } from '@opentelemetry/api-logs'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { InMemoryProvider, OpenFeature, type EvaluationContext } from '@openfeature/server-sdk'
import { EventHook, SpanEventHook } from '@openfeature/open-telemetry-hooks'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { queryRows, waitFor } from '../helpers/store.ts'
import { watchExports } from '../helpers/watched-exporter.ts'

/**
 * Issue 11's clients, none of them written here: the OpenTelemetry JS SDK's OTLP/gRPC trace
 * exporter, its logs SDK with gRPC and HTTP log exporters, and OpenFeature's OpenTelemetry
 * hooks, which record a flag evaluation as a span event (SpanEventHook) or as a
 * `feature_flag.evaluation` log record (EventHook).
 */
let app: RunningApp
const TRAFFIC_MS = 6 * 60_000
const trafficStartMs = Date.now() - TRAFFIC_MS - 60_000
const startTime = new Date(trafficStartMs - 60_000).toISOString()
const RESOURCE = { 'deployment.environment.name': 'production' }

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  // One flag, its variant chosen per request: the even requests get the new checkout.
  await OpenFeature.setProviderAndWait(
    new InMemoryProvider({
      'new-checkout': {
        variants: { on: true, off: false },
        defaultVariant: 'off',
        disabled: false,
        contextEvaluator: (evaluation: EvaluationContext) =>
          Number(evaluation.targetingKey) % 2 === 0 ? 'on' : 'off',
      },
    }),
  )
  app = await startTestApp({ 'otlp.flagEvaluations.linkIntervalMs': 200 })
})

afterAll(async () => {
  await app?.stop()
  await OpenFeature.close()
})

function grpcUrl(): string {
  expect(app.otlpGrpcUrl).toBeDefined()
  return app.otlpGrpcUrl!
}

interface Traffic {
  readonly service: string
  readonly version: string
  readonly requests: number
  /** How flag evaluations travel: as span events, or as log records over gRPC or HTTP. */
  readonly flagsAs: 'span events' | 'log records over gRPC' | 'log records over HTTP'
  readonly traces: 'grpc' | 'grpc+gzip' | 'proto'
  /** Which exporter is flushed first: a flag's log record may reach us before its span or after. */
  readonly first?: 'logs' | 'spans'
}

/**
 * Serves `requests` requests through the SDK: each evaluates the flag inside its server span;
 * with the `on` variant every 10th fails, with `off` every 100th. Resolves once both
 * exporters are done, which they are only when release-health has stored what they sent.
 * Each request's span and its evaluation's log record travel in different export requests.
 */
async function serveTraffic(traffic: Traffic): Promise<void> {
  const resource = resourceFromAttributes({
    'service.name': traffic.service,
    'service.version': traffic.version,
    ...RESOURCE,
  })
  const traceExporter =
    traffic.traces === 'proto'
      ? new ProtoTraceExporter({ url: `${app.otlpHttpUrl}/v1/traces` })
      : new GrpcTraceExporter({
          url: grpcUrl(),
          compression:
            traffic.traces === 'grpc+gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        })
  const traceFailures = watchExports(traceExporter)
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(traceExporter, { maxExportBatchSize: 512, maxQueueSize: 100_000 }),
    ],
  })
  const logExporter =
    traffic.flagsAs === 'log records over gRPC'
      ? new GrpcLogExporter({ url: grpcUrl() })
      : new ProtoLogExporter({ url: `${app.otlpHttpUrl}/v1/logs` })
  const logFailures = watchExports(logExporter)
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: logExporter,
        maxExportBatchSize: 512,
        maxQueueSize: 100_000,
      }),
    ],
  })
  const useLogs = traffic.flagsAs !== 'span events'
  logs.disable()
  if (useLogs) logs.setGlobalLoggerProvider(loggerProvider)
  const client = OpenFeature.getClient(traffic.service)
  client.addHooks(useLogs ? new EventHook() : new SpanEventHook())
  const tracer = tracerProvider.getTracer('checkout-handler')
  for (let index = 0; index < traffic.requests; index++) {
    const startMs = trafficStartMs + (index * TRAFFIC_MS) / traffic.requests
    const options = { kind: SpanKind.SERVER, startTime: startMs }
    await tracer.startActiveSpan('POST /checkout', options, async (span) => {
      const on = await client.getBooleanValue('new-checkout', false, {
        targetingKey: String(index),
      })
      // 10% of the `on` requests fail, 1% of the `off` ones (the variants alternate).
      const failed = on ? index % 20 === 0 : index % 200 === 1
      span.setAttribute('http.route', '/checkout')
      span.setAttribute('http.response.status_code', failed ? 500 : 200)
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment backend timeout' })
      span.end(startMs + 5 + (index % 20))
    })
  }
  if (traffic.first === 'spans') {
    await tracerProvider.forceFlush()
    await loggerProvider.forceFlush()
  } else {
    await loggerProvider.forceFlush()
    await tracerProvider.forceFlush()
  }
  await Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown()])
  logs.disable()
  expect(traceFailures, 'span batches the SDK failed to export').toEqual([])
  expect(logFailures, 'log batches the SDK failed to export').toEqual([])
}

async function createFlagAnalysis(service: string): Promise<string> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service,
      environment: 'production',
      baseline: { release: '3.0.0', flag: { key: 'new-checkout', variant: 'off' } },
      canary: { release: '3.0.0', flag: { key: 'new-checkout', variant: 'on' } },
      startTime,
    }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

interface Verdict {
  readonly decision: string
  readonly metrics: readonly {
    readonly name: string
    readonly decision: string
    readonly baseline: { readonly n: number }
    readonly canary: { readonly n: number }
  }[]
}

async function verdictOf(id: string): Promise<Verdict> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
  expect(response.status).toBe(200)
  return (await response.json()) as Verdict
}

describe('OTLP/gRPC and logs from the OpenTelemetry SDK and OpenFeature', () => {
  it('stores spans from the OTLP/gRPC trace exporter, plain and gzipped, with service, release, environment and flags', async () => {
    await serveTraffic({
      service: 'grpc-plain',
      version: '1.0.0',
      requests: 600,
      flagsAs: 'span events',
      traces: 'grpc',
    })
    await serveTraffic({
      service: 'grpc-gzip',
      version: '1.0.1',
      requests: 600,
      flagsAs: 'span events',
      traces: 'grpc+gzip',
    })
    const rows = await queryRows<Record<string, string>>(
      app.store,
      `SELECT service, release, environment, flags['new-checkout'] AS variant, count() AS requests,
              sum(is_error) AS errors
       FROM ${app.store.database}.spans WHERE service IN ('grpc-plain', 'grpc-gzip')
       GROUP BY service, release, environment, variant ORDER BY service, variant`,
    )
    const expected = (service: string, release: string) => [
      { service, release, environment: 'production', variant: 'off', requests: '300', errors: '3' },
      { service, release, environment: 'production', variant: 'on', requests: '300', errors: '30' },
    ]
    expect(rows).toEqual([...expected('grpc-gzip', '1.0.1'), ...expected('grpc-plain', '1.0.0')])
  })

  it('stores log records from the gRPC and the HTTP log exporters, tied to their spans', async () => {
    const resource = resourceFromAttributes({
      'service.name': 'log-writer',
      'service.version': '7.1.0',
      ...RESOURCE,
    })
    const exporters = [
      ['grpc', new GrpcLogExporter({ url: grpcUrl() })],
      ['http-protobuf', new ProtoLogExporter({ url: `${app.otlpHttpUrl}/v1/logs` })],
      ['http-json', new JsonLogExporter({ url: `${app.otlpHttpUrl}/v1/logs` })],
    ] as const
    for (const [transport, exporter] of exporters) {
      const failures = watchExports(exporter)
      const provider = new LoggerProvider({
        resource,
        processors: [new BatchLogRecordProcessor({ exporter })],
      })
      const tracerProvider = new NodeTracerProvider({ resource })
      tracerProvider.getTracer('t').startActiveSpan('work', (span) => {
        provider.getLogger('payments').emit({
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          body: `card declined via ${transport}`,
          attributes: { 'payment.provider': 'acme', transport },
        })
        span.end()
      })
      await provider.forceFlush()
      await provider.shutdown()
      expect(failures, `log batches the ${transport} exporter failed to export`).toEqual([])
    }
    const rows = await queryRows<Record<string, string>>(
      app.store,
      `SELECT service, release, environment, severity_number, severity_text, body, scope_name,
              log_attributes['payment.provider'] AS provider, length(trace_id) AS trace_id_length,
              length(span_id) AS span_id_length, timestamp > '2020-01-01' AS has_time
       FROM ${app.store.database}.logs WHERE service = 'log-writer' ORDER BY body`,
    )
    expect(rows).toEqual(
      ['grpc', 'http-json', 'http-protobuf'].map((transport) => ({
        service: 'log-writer',
        release: '7.1.0',
        environment: 'production',
        severity_number: SeverityNumber.WARN,
        severity_text: 'WARN',
        body: `card declined via ${transport}`,
        scope_name: 'payments',
        provider: 'acme',
        trace_id_length: '32',
        span_id_length: '16',
        has_time: 1,
      })),
    )
  })

  it('judges a flag-variant analysis fed only by log-record evaluations as it judges the same traffic with span events', async () => {
    await serveTraffic({
      service: 'flags-as-events',
      version: '3.0.0',
      requests: 3_000,
      flagsAs: 'span events',
      traces: 'proto',
    })
    await serveTraffic({
      service: 'flags-as-logs-grpc',
      version: '3.0.0',
      requests: 3_000,
      flagsAs: 'log records over gRPC',
      traces: 'grpc',
      first: 'logs',
    })
    await serveTraffic({
      service: 'flags-as-logs-http',
      version: '3.0.0',
      requests: 3_000,
      flagsAs: 'log records over HTTP',
      traces: 'proto',
      first: 'spans',
    })
    const evaluations = await queryRows<{ service: string; records: string }>(
      app.store,
      `SELECT service, count() AS records FROM ${app.store.database}.logs
       WHERE event_name = 'feature_flag.evaluation' AND flag_key = 'new-checkout'
       GROUP BY service ORDER BY service`,
    )
    expect(evaluations).toEqual([
      { service: 'flags-as-logs-grpc', records: '3000' },
      { service: 'flags-as-logs-http', records: '3000' },
    ])

    // The linker joins evaluations to their spans in passes (every 200 ms here); a verdict
    // freezes a minute once it is older than the ingest lag (30 s), so evaluations count when
    // linked by then, as late spans do.
    for (const service of ['flags-as-logs-grpc', 'flags-as-logs-http']) {
      await waitFor(
        async () => {
          const [linked] = await queryRows<{ links: string }>(
            app.store,
            `SELECT count() AS links FROM ${app.store.database}.span_log_flags
             WHERE service = {service:String}`,
            { service },
          )
          return linked?.links === '3000' ? true : undefined
        },
        { timeoutMs: 20_000, what: `${service}'s evaluations to be linked to their spans` },
      )
    }

    const reference = await verdictOf(await createFlagAnalysis('flags-as-events'))
    expect(reference.decision).toBe('rollback')
    const summary = (verdict: Verdict) =>
      verdict.metrics.map((metric) => [
        metric.name,
        metric.decision,
        metric.baseline.n,
        metric.canary.n,
      ])
    for (const service of ['flags-as-logs-grpc', 'flags-as-logs-http']) {
      const verdict = await verdictOf(await createFlagAnalysis(service))
      expect(verdict.decision).toBe(reference.decision)
      expect(summary(verdict)).toEqual(summary(reference))
    }
  })
})
