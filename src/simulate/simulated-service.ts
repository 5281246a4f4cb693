import { context, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { OpenFeature, TypedInMemoryProvider, type Client } from '@openfeature/server-sdk'
import { SpanEventHook } from '@openfeature/open-telemetry-hooks'
import { RhError } from '../errors.ts'
import type { Scenario } from './scenarios.ts'
import { toOutcome, variantForUser, type PlannedRequest } from './traffic-model.ts'

/**
 * A service instrumented the way users instrument theirs: one OpenTelemetry SDK per release
 * (the release is the resource's `service.version`) exporting OTLP/protobuf, and an
 * OpenFeature client whose OpenTelemetry hook records each flag evaluation on the active span.
 * Nothing here knows release-health's internals; it only speaks OTLP.
 */
export interface SimulatedService {
  /** Serves one request: evaluates the flag inside a server span and ends it as the model says. */
  serve(request: PlannedRequest): Promise<void>
  /** Exports every span still buffered; resolves once the receiver has accepted them. */
  flush(): Promise<void>
  /** Flushes, then shuts the SDKs down. */
  close(): Promise<void>
}

export interface SimulatedServiceOptions {
  readonly scenario: Scenario
  /** OTLP/HTTP base URL, e.g. http://localhost:4318 */
  readonly endpoint: string
}

/** Spans buffered per release; a backfill of 15 minutes at 40 requests/s fits. */
const MAX_QUEUED_SPANS = 200_000

export async function createSimulatedService(
  options: SimulatedServiceOptions,
): Promise<SimulatedService> {
  const { scenario } = options
  // The flag hook finds its span through the active context, which needs a context manager.
  // When the host already registered one (a test, an instrumented app), that one is used.
  const contextManager = new AsyncLocalStorageContextManager()
  if (context.setGlobalContextManager(contextManager)) contextManager.enable()

  const providers = new Map<string, NodeTracerProvider>()
  const tracers = new Map<string, Tracer>()
  // One SDK per service and release, as each deployment has its own.
  const deployments = [
    ...scenario.releases.map(({ version }) => [scenario.service, version] as const),
    ...(scenario.downstream === undefined
      ? []
      : [[scenario.downstream.service, scenario.downstream.version] as const]),
    ...(scenario.trainPartner?.releases.map(
      ({ version }) => [scenario.trainPartner?.service ?? '', version] as const,
    ) ?? []),
  ]
  for (const [serviceName, version] of deployments) {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({
        'service.name': serviceName,
        'service.version': version,
        'deployment.environment.name': scenario.environment,
      }),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` }),
          { maxExportBatchSize: 2_000, maxQueueSize: MAX_QUEUED_SPANS, scheduledDelayMillis: 500 },
        ),
      ],
    })
    providers.set(`${serviceName} ${version}`, provider)
    tracers.set(`${serviceName} ${version}`, provider.getTracer('release-health-simulate', '1.0.0'))
  }

  const flags = await createFlagClient(scenario)

  /** The callee's server span, a child of the active (caller's) span: the same trace. */
  const callDownstream = (request: PlannedRequest, withinMs: number): void => {
    const downstream = scenario.downstream
    if (downstream === undefined || request.otherDraws === undefined) return
    const tracer = tracers.get(`${downstream.service} ${downstream.version}`)
    const startMs = request.startMs + Math.min(1, withinMs / 4)
    const span = tracer?.startSpan(downstream.route, { kind: SpanKind.SERVER, startTime: startMs })
    if (span === undefined) return
    const outcome = toOutcome({ draws: request.otherDraws }, downstream.behaviour(request.release))
    span.setAttribute('http.response.status_code', outcome.httpStatus)
    if (outcome.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' })
    span.end(startMs + Math.min(outcome.latencyMs, withinMs))
  }

  /** The train partner's own request from the same user, on its own trace. */
  const servePartner = (request: PlannedRequest): void => {
    const partner = scenario.trainPartner
    if (partner === undefined || request.otherDraws === undefined) return
    const shares = Object.fromEntries(partner.releases.map((r) => [r.version, r.share]))
    const release = variantForUser(
      shares,
      `${partner.service}:${request.userId}:${request.startMs}`,
    )
    const tracer = tracers.get(`${partner.service} ${release}`)
    const span = tracer?.startSpan(
      partner.route,
      { kind: SpanKind.SERVER, startTime: request.startMs, root: true },
      context.active(),
    )
    if (span === undefined) return
    const outcome = toOutcome({ draws: request.otherDraws }, partner.behaviour(release))
    span.setAttribute('http.response.status_code', outcome.httpStatus)
    if (outcome.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'ledger refused' })
    span.end(request.startMs + outcome.latencyMs)
  }
  const flush = async (): Promise<void> => {
    await Promise.all([...providers.values()].map((provider) => provider.forceFlush()))
  }

  return {
    async serve(request) {
      const tracer = tracers.get(`${scenario.service} ${request.release}`)
      if (tracer === undefined) throw new Error(`release ${request.release} is not simulated`)
      const spanOptions = { kind: SpanKind.SERVER, startTime: request.startMs }
      await tracer.startActiveSpan(request.route, spanOptions, async (span) => {
        const details = await flags.getBooleanDetails(scenario.flag.key, false, {
          targetingKey: request.userId,
        })
        const variant = details.variant ?? 'off'
        const outcome = toOutcome(request, scenario.behaviour(request.release, variant))
        const [method = 'GET', route = '/'] = request.route.split(' ')
        span.setAttributes({
          'http.request.method': method,
          'http.route': route,
          'http.response.status_code': outcome.httpStatus,
          'enduser.id': request.userId,
        })
        if (outcome.failed) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream dependency timed out' })
        }
        callDownstream(request, Math.max(0.2, outcome.latencyMs / 2))
        span.end(request.startMs + outcome.latencyMs)
      })
      servePartner(request)
    },
    flush,
    async close() {
      await flush()
      await Promise.all([...providers.values()].map((provider) => provider.shutdown()))
    },
  }
}

/**
 * Fails with a clear message when nothing accepts OTLP at the endpoint: the SDK would only
 * drop the spans and log to its diagnostics, and the verdict would wait for data forever.
 */
export async function assertReceiverAccepts(endpoint: string): Promise<void> {
  const url = `${endpoint.replace(/\/$/, '')}/v1/traces`
  // An empty export request: valid OTLP, and it stores nothing.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).catch((error: unknown) => {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `no OTLP/HTTP receiver answers at ${url} (${String(error)}); pass --endpoint`,
    )
  })
  if (response.status !== 200) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `the OTLP receiver at ${url} refused a test export: HTTP ${response.status}`,
    )
  }
}

/**
 * An OpenFeature client in its own domain, so the simulation never replaces a provider the
 * host set up. The in-memory provider places each user in a variant by a stable hash.
 */
async function createFlagClient(scenario: Scenario): Promise<Client> {
  const { key, variants } = scenario.flag
  const domain = `release-health-simulate/${scenario.name}`
  const provider = new TypedInMemoryProvider({
    [key]: {
      variants: Object.fromEntries(Object.keys(variants).map((name) => [name, name === 'on'])),
      defaultVariant: Object.keys(variants)[0] ?? 'off',
      disabled: false,
      contextEvaluator: (evaluation) =>
        variantForUser(variants, String(evaluation.targetingKey ?? 'anonymous')),
    },
  })
  await OpenFeature.setProviderAndWait(domain, provider)
  const client = OpenFeature.getClient(domain)
  client.addHooks(new SpanEventHook())
  return client
}
