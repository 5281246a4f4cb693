import { Command } from 'commander'
import { startApp } from '../../app.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'
import { packageVersion } from '../package-version.ts'

interface ServeFlags extends ConfigFlags {
  readonly apiPort?: string
  readonly otlpHttpPort?: string
}

export function createServeCommand(): Command {
  return addConfigOptions(new Command('serve'))
    .description(
      'run everything: OTLP/HTTP receiver (:4318), verdict API (:8080), on the embedded store by default',
    )
    .option('--api-port <port>', 'API port (default 8080; 0 = any free port)')
    .option('--otlp-http-port <port>', 'OTLP/HTTP port (default 4318; 0 = any free port)')
    .action(async (flags: ServeFlags) => {
      const overrides: Record<string, unknown> = {}
      if (flags.apiPort !== undefined) overrides['api.port'] = flags.apiPort
      if (flags.otlpHttpPort !== undefined) overrides['otlp.http.port'] = flags.otlpHttpPort
      const { config, logger } = startCommand(flags, overrides)
      const app = await startApp({ config, logger, version: packageVersion() })
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
    })
}
