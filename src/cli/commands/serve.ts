import { Command } from 'commander'
import { startApp } from '../../app.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'
import { startOtelSdk } from '../otel-sdk.ts'
import { packageVersion } from '../package-version.ts'
import { gcTuningOfProcess, settleGarbageCollectorTuning } from '../tune-garbage-collector.ts'

interface ServeFlags extends ConfigFlags {
  readonly host?: string
  readonly apiPort?: string
  readonly otlpHttpPort?: string
  readonly otlpGrpcPort?: string
}

export function createServeCommand(): Command {
  return addConfigOptions(new Command('serve'))
    .description(
      'run everything: OTLP/gRPC (:4317) and OTLP/HTTP (:4318) receivers for traces and logs, verdict API (:8080), on the embedded store by default',
    )
    .option(
      '--host <address>',
      'address the API and the OTLP receivers listen on (default 127.0.0.1: this machine only; 0.0.0.0: every interface); config keys api.host, otlp.http.host, otlp.grpc.host',
    )
    .option('--api-port <port>', 'API port (default 8080; 0 = any free port)')
    .option('--otlp-http-port <port>', 'OTLP/HTTP port (default 4318; 0 = any free port)')
    .option(
      '--otlp-grpc-port <port>',
      'OTLP/gRPC port (default 4317; 0 = any free port; otlp.grpc.enabled=false turns it off)',
    )
    .addHelpText(
      'after',
      '\nrelease-health’s own traces and metrics go to OpenTelemetry when the standard OTEL_*\nvariables say where, e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318; Prometheus\nmetrics are always at GET /metrics.',
    )
    .action(async (flags: ServeFlags) => {
      const overrides: Record<string, unknown> = {}
      if (flags.host !== undefined) {
        overrides['api.host'] = flags.host
        overrides['otlp.http.host'] = flags.host
        overrides['otlp.grpc.host'] = flags.host
      }
      if (flags.apiPort !== undefined) overrides['api.port'] = flags.apiPort
      if (flags.otlpHttpPort !== undefined) overrides['otlp.http.port'] = flags.otlpHttpPort
      if (flags.otlpGrpcPort !== undefined) overrides['otlp.grpc.port'] = flags.otlpGrpcPort
      const { config, logger } = startCommand(flags, overrides)
      settleGarbageCollectorTuning({
        enabled: config.runtime.tuneGarbageCollector,
        ...(config.kafka.brokers.length > 0 ? { undoBecause: 'serve consumes Kafka too' } : {}),
        tuning: gcTuningOfProcess(),
        logger,
      })
      const version = packageVersion()
      const otel = startOtelSdk({ env: process.env, version, logger })
      try {
        const app = await startApp({ config, logger, version, otel: otel?.providers })
        await new Promise<void>((resolve) => {
          const shutdown = (signal: string): void => {
            logger.info({ signal }, 'signal received')
            app.stop().then(resolve, (error: unknown) => {
              logger.error({ err: String(error) }, 'shutdown failed')
              process.exitCode = 1
              resolve()
            })
          }
          process.once('SIGTERM', shutdown)
          process.once('SIGINT', shutdown)
        })
      } finally {
        await otel?.shutdown()
      }
    })
}
