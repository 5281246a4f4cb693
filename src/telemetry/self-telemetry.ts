import type { IncomingMessage, ServerResponse } from 'node:http'
import type { MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { Instruments } from './instruments.ts'
import { createOtelInstruments } from './otel-instruments.ts'
import { createPrometheusMetrics } from './prometheus-metrics.ts'
import { registerProcessMetrics } from './process-metrics.ts'
import { noopTracer } from './tracing.ts'

/**
 * What the OpenTelemetry SDK (NodeSDK, started by the CLI from the standard OTEL_*
 * variables) provides when it is configured: release-health's traces go to its tracer
 * provider, and its metrics to its meter provider as well as to `/metrics`.
 */
export interface OtelProviders {
  readonly tracerProvider?: TracerProvider
  readonly meterProvider?: MeterProvider
}

export interface SelfTelemetry {
  readonly instruments: Instruments
  /** Traces API requests, ingest batches and store queries; records nothing without an SDK. */
  readonly tracer: Tracer
  /** Writes the Prometheus text exposition of every instrument. */
  readonly servePrometheus: (request: IncomingMessage, response: ServerResponse) => void
  readonly shutdown: () => Promise<void>
}

/**
 * release-health's own telemetry: its instruments recorded for the Prometheus exposition at
 * `/metrics` (always) and for the SDK's metric exporters (when configured), and its tracer.
 */
export function createSelfTelemetry(options: {
  version: string
  otel?: OtelProviders | undefined
}): SelfTelemetry {
  const prometheus = createPrometheusMetrics({
    resource: resourceFromAttributes({
      'service.name': 'release-health',
      'service.version': options.version,
    }),
  })
  const sdkMeter = options.otel?.meterProvider?.getMeter('release-health', options.version)
  const instruments = createOtelInstruments(
    sdkMeter === undefined ? [prometheus.meter] : [prometheus.meter, sdkMeter],
    { onFirstRecord: prometheus.histogramRecorded },
  )
  const stopProcessMetrics = registerProcessMetrics(prometheus.meter, { version: options.version })
  return {
    instruments,
    tracer:
      options.otel?.tracerProvider?.getTracer('release-health', options.version) ?? noopTracer,
    servePrometheus: prometheus.serve,
    shutdown: async () => {
      stopProcessMetrics()
      await prometheus.shutdown()
    },
  }
}
