/**
 * Builds real OTLP trace payloads with the OpenTelemetry JS SDK and its own serializers, so
 * that decoders and receivers are tested against what SDKs actually send, not against
 * hand-written fixtures that share our assumptions.
 */
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type HrTime,
  type Span,
} from '@opentelemetry/api'
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'

export type PayloadSpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer'

export interface PayloadSpanSpec {
  readonly name: string
  /** Defaults to 'internal', as in the SDK. */
  readonly kind?: PayloadSpanKind
  readonly attributes?: Attributes
  /** Flag key -> variant, recorded as `feature_flag.evaluation` span events. */
  readonly flags?: Readonly<Record<string, string>>
  /** Further span events, recorded after the flags. */
  readonly events?: readonly { readonly name: string; readonly attributes?: Attributes }[]
  /** Sets the span status to ERROR with this message. */
  readonly error?: string
  /** Defaults to BASE_TIME_UNIX_NANO plus one millisecond per span index. */
  readonly startTimeUnixNano?: bigint
  /** Defaults to 10 ms. */
  readonly durationNs?: bigint
  /** Index of an earlier span in `spans` to be this span's parent; none = a root span. */
  readonly parentIndex?: number
}

export interface TracePayloadSpec {
  /** `service.name` */
  readonly service: string
  /** `service.version`, omitted when undefined. */
  readonly release?: string
  /** `deployment.environment.name`, omitted when undefined. */
  readonly environment?: string
  /** More resource attributes (they win over the three above). */
  readonly resourceAttributes?: Attributes
  readonly spans: readonly PayloadSpanSpec[]
}

export interface TracePayload {
  /** The body an OTLP/HTTP protobuf exporter sends. */
  readonly protobuf: Uint8Array
  /** The body an OTLP/HTTP JSON exporter sends. */
  readonly json: string
  /** The SDK's finished spans, in `spans` order, e.g. to read the generated ids. */
  readonly spans: readonly ReadableSpan[]
}

/** 2026-09-21T14:13:20Z: a fixed start so payloads are reproducible apart from random ids. */
export const BASE_TIME_UNIX_NANO = 1_790_000_000_000_000_000n

const KINDS: Record<PayloadSpanKind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
}

/** Builds the spans with the SDK and serializes them with the SDK's OTLP serializers. */
export function buildTracePayload(spec: TracePayloadSpec): TracePayload {
  const spans = buildReadableSpans(spec)
  return { ...serializeSpans(spans), spans }
}

/** Serializes finished SDK spans exactly as the OTLP/HTTP exporters do. */
export function serializeSpans(spans: readonly ReadableSpan[]): {
  protobuf: Uint8Array
  json: string
} {
  const protobuf = ProtobufTraceSerializer.serializeRequest([...spans])
  const json = JsonTraceSerializer.serializeRequest([...spans])
  if (protobuf === undefined || json === undefined) {
    throw new Error('the OTel serializer returned nothing')
  }
  return { protobuf, json: new TextDecoder().decode(json) }
}

/** Records the spans of `spec` with a `BasicTracerProvider` and an in-memory exporter. */
export function buildReadableSpans(spec: TracePayloadSpec): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...releaseAttributes(spec), ...spec.resourceAttributes }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    // Large enough for the attribute-limit tests; the SDK default (128) would drop some.
    spanLimits: { attributeCountLimit: 10_000, eventCountLimit: 10_000 },
  })
  const tracer = provider.getTracer('release-health-tests', '1.0.0')
  const started: Span[] = []
  spec.spans.forEach((spanSpec, index) => {
    const parent = spanSpec.parentIndex === undefined ? undefined : started[spanSpec.parentIndex]
    const parentContext =
      parent === undefined ? context.active() : trace.setSpan(context.active(), parent)
    const start = startOf(spanSpec, index)
    const span = tracer.startSpan(
      spanSpec.name,
      {
        kind: KINDS[spanSpec.kind ?? 'internal'],
        attributes: spanSpec.attributes ?? {},
        startTime: toHrTime(start),
      },
      parentContext,
    )
    recordEvents(span, spanSpec, start)
    if (spanSpec.error !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: spanSpec.error })
    }
    started.push(span)
  })
  // End in reverse so parents end after their children, as real instrumentation does.
  for (let index = started.length - 1; index >= 0; index--) {
    const spanSpec = spec.spans[index]!
    const end = startOf(spanSpec, index) + (spanSpec.durationNs ?? 10_000_000n)
    started[index]!.end(toHrTime(end))
  }
  const byId = new Map(exporter.getFinishedSpans().map((span) => [span.spanContext().spanId, span]))
  return started.map((span) => byId.get(span.spanContext().spanId)!)
}

function startOf(spec: PayloadSpanSpec, index: number): bigint {
  return spec.startTimeUnixNano ?? BASE_TIME_UNIX_NANO + BigInt(index) * 1_000_000n
}

function releaseAttributes(spec: TracePayloadSpec): Attributes {
  const attributes: Attributes = { 'service.name': spec.service }
  if (spec.release !== undefined) attributes['service.version'] = spec.release
  if (spec.environment !== undefined) attributes['deployment.environment.name'] = spec.environment
  return attributes
}

function recordEvents(span: Span, spec: PayloadSpanSpec, startUnixNano: bigint): void {
  const time = toHrTime(startUnixNano + 1_000n)
  for (const [key, variant] of Object.entries(spec.flags ?? {})) {
    span.addEvent(
      'feature_flag.evaluation',
      {
        'feature_flag.key': key,
        'feature_flag.result.variant': variant,
        'feature_flag.provider.name': 'tests',
      },
      time,
    )
  }
  for (const event of spec.events ?? []) span.addEvent(event.name, event.attributes ?? {}, time)
}

function toHrTime(unixNano: bigint): HrTime {
  return [Number(unixNano / 1_000_000_000n), Number(unixNano % 1_000_000_000n)]
}

const ROUTES = ['/api/v1/orders/{id}', '/api/v1/cart', '/api/v1/checkout', '/healthz'] as const

/**
 * A request shaped like production traffic from an instrumented HTTP service: `count` spans,
 * alternating a server span (10 HTTP semantic-convention attributes, a flag evaluation, some
 * 5xx) and a client child span, under a resource carrying the usual SDK attributes.
 */
export function buildRealisticPayload(count: number): TracePayload {
  const spans: PayloadSpanSpec[] = []
  for (let index = 0; index < count; index++) {
    const route = ROUTES[index % ROUTES.length]!
    const server = index % 2 === 0
    const status = index % 50 === 0 ? 503 : 200
    spans.push({
      name: server ? `GET ${route}` : 'SELECT orders',
      kind: server ? 'server' : 'client',
      ...(server ? {} : { parentIndex: index - 1 }),
      durationNs: BigInt(1_000_000 + ((index * 7919) % 50_000_000)),
      ...(server ? serverSpanDetails(route, status, index) : clientSpanDetails()),
    })
  }
  return buildTracePayload({
    service: 'checkout',
    release: '1.5.0',
    environment: 'production',
    resourceAttributes: {
      'service.namespace': 'shop',
      'service.instance.id': '627cc493-f310-47de-96bd-71410b7dec09',
      'host.name': 'checkout-7d9f8b6c5-x2x8k',
      'process.pid': 4242,
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': '2.12.1',
    },
    spans,
  })
}

function serverSpanDetails(route: string, status: number, index: number): Partial<PayloadSpanSpec> {
  return {
    attributes: {
      'http.request.method': 'GET',
      'http.route': route,
      'url.path': route.replace('{id}', String(100_000 + index)),
      'url.scheme': 'https',
      'http.response.status_code': status,
      'server.address': 'checkout.shop.internal',
      'server.port': 8443,
      'network.protocol.version': '1.1',
      'client.address': `10.0.${index % 256}.17`,
      'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0',
    },
    flags: { 'new-checkout': index % 4 === 0 ? 'on' : 'off' },
    ...(status >= 500 ? { error: 'upstream unavailable' } : {}),
  }
}

function clientSpanDetails(): Partial<PayloadSpanSpec> {
  return {
    attributes: {
      'db.system.name': 'postgresql',
      'db.namespace': 'orders',
      'db.operation.name': 'SELECT',
      'db.collection.name': 'orders',
      'db.query.text': 'SELECT * FROM orders WHERE id = $1',
      'server.address': 'orders-db.shop.internal',
      'server.port': 5432,
      'network.peer.address': '10.1.4.20',
      'db.response.returned_rows': 1,
      'db.client.connection.pool.name': 'orders-pool',
    },
  }
}
