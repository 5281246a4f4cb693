/**
 * The OTLP requests the ingest benchmarks send: `spans` HTTP server spans of "checkout", each
 * with a flag evaluation event and six attributes, one in a hundred failing, built and
 * serialized to protobuf by the OpenTelemetry JS SDK. Request `p` comes from pod `p`, and
 * alternates between releases 1.4.2 and 1.5.0. Spans start and end as they are made (a few
 * microseconds long) unless `times` says when span `i` starts and ends.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'

export function buildCheckoutRequest(
  p: number,
  spans: number,
  times?: (i: number) => { readonly startMs: number; readonly endMs: number },
): Uint8Array {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': p % 2 === 0 ? '1.4.2' : '1.5.0',
      'deployment.environment.name': 'production',
      'host.name': `pod-${p}`,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('bench')
  for (let i = 0; i < spans; i++) {
    const time = times?.(i)
    const span = tracer.startSpan('POST /checkout', {
      kind: SpanKind.SERVER,
      ...(time === undefined ? {} : { startTime: time.startMs }),
    })
    span.addEvent('feature_flag.evaluation', {
      'feature_flag.key': 'new-checkout',
      'feature_flag.result.variant': i % 2 === 0 ? 'on' : 'off',
      'feature_flag.provider.name': 'bench',
    })
    span.setAttributes({
      'http.request.method': 'POST',
      'http.route': '/checkout',
      'http.response.status_code': i % 100 === 0 ? 500 : 200,
      'url.scheme': 'https',
      'server.address': 'checkout.internal',
      'user_agent.original': 'bench/1.0',
    })
    if (i % 100 === 0) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end(time?.endMs)
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array
}
