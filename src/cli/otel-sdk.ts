import { metrics, trace } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { NodeSDK } from '@opentelemetry/sdk-node'
import type { Logger } from '../logger.ts'
import type { OtelProviders } from '../telemetry/self-telemetry.ts'

export interface StartedOtelSdk {
  readonly providers: OtelProviders
  /** Which signals are exported, for the start-up log. */
  readonly signals: readonly ('traces' | 'metrics')[]
  /** Flushes what is buffered and stops the exporters. */
  readonly shutdown: () => Promise<void>
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * release-health's own OpenTelemetry, the way every OpenTelemetry-instrumented program does
 * it: NodeSDK, configured by the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_SAMPLER, ...), which NodeSDK reads itself.
 *
 * Off unless configured: a signal is exported only when its exporter or an OTLP endpoint is
 * set, because NodeSDK's default endpoint, localhost:4318, is release-health's own receiver.
 * Returns undefined when nothing is configured, or OTEL_SDK_DISABLED=true.
 */
export function startOtelSdk(options: {
  env: Env
  version: string
  logger: Logger
}): StartedOtelSdk | undefined {
  const { env } = options
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined
  const tracesOn = isConfigured(env, 'TRACES')
  const metricsOn = isConfigured(env, 'METRICS')
  if (!tracesOn && !metricsOn) return undefined
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override these, as everywhere else.
    resource: resourceFromAttributes({
      'service.name': 'release-health',
      'service.version': options.version,
    }),
    // An empty list tells NodeSDK not to configure the signal from the environment.
    ...(tracesOn ? {} : { spanProcessors: [] }),
    ...(metricsOn ? {} : { metricReaders: [] }),
    logRecordProcessors: [],
    instrumentations: [],
  })
  sdk.start()
  const signals = [
    ...(tracesOn ? ['traces' as const] : []),
    ...(metricsOn ? ['metrics' as const] : []),
  ]
  options.logger.info(
    { signals, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT },
    'OpenTelemetry SDK exporting release-health’s own telemetry',
  )
  return {
    providers: {
      ...(tracesOn ? { tracerProvider: trace.getTracerProvider() } : {}),
      ...(metricsOn ? { meterProvider: metrics.getMeterProvider() } : {}),
    },
    signals,
    shutdown: () => sdk.shutdown(),
  }
}

/** The signal's exporter is named (and not `none`), or an OTLP endpoint is given for it. */
export function isConfigured(env: Env, signal: 'TRACES' | 'METRICS'): boolean {
  const exporter = env[`OTEL_${signal}_EXPORTER`]?.trim() ?? ''
  if (exporter !== '') return !exporter.split(',').includes('none')
  return (
    (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '') !== '' ||
    (env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] ?? '') !== ''
  )
}
