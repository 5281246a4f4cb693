import { Option, type Command } from 'commander'
import { resolveConfig } from '../config/resolve-config.ts'
import { findUnknownEnvNames } from '../config/env-names.ts'
import type { Config } from '../config/defaults.ts'
import type { Logger } from '../logger.ts'
import {
  createCliLogger,
  defaultLogFormat,
  LOG_FORMATS,
  type CliLogger,
  type LogFormat,
} from './logger.ts'

/**
 * `RH_*` variables the CLI reads itself, beside the config keys' (`RH_CLICKHOUSE_URL`, ...).
 * Anything else starting with `RH_` is a typo and is warned about.
 */
export const CLI_ENV_NAMES = ['RH_LOG_LEVEL', 'RH_LOG_FORMAT', 'RH_API_TOKEN'] as const

/** Options every command that touches the store shares, and how they map to config keys. */
export function addConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML config file (default: ./release-health.yaml if present)')
    .option('--clickhouse-url <url>', 'ClickHouse server URL (default: the embedded engine)')
    .option(
      '--clickhouse-cluster <name>',
      'ClickHouse cluster (remote_servers name) to create the tables on, ON CLUSTER (default: one server)',
    )
    .option('--data-path <dir>', 'data directory of the embedded engine (default: ./data)')
    .option('--log-level <level>', 'debug, info, warn or error', process.env.RH_LOG_LEVEL ?? 'info')
    .addOption(
      new Option(
        '--log-format <format>',
        'pretty (local time, level names) or json (one object a line) (env: RH_LOG_FORMAT)',
      )
        .choices(LOG_FORMATS)
        .default(toLogFormat(process.env.RH_LOG_FORMAT), 'pretty on a terminal, json otherwise'),
    )
}

/** RH_LOG_FORMAT when it names a format, else what suits stdout. */
function toLogFormat(value: string | undefined): LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value ?? '')
    ? (value as LogFormat)
    : defaultLogFormat()
}

export interface ConfigFlags {
  readonly config?: string
  readonly clickhouseUrl?: string
  readonly dataPath?: string
  readonly clickhouseCluster?: string
  readonly logLevel: string
  readonly logFormat: LogFormat
}

export function resolveFromFlags(flags: ConfigFlags, extra: Record<string, unknown> = {}): Config {
  const overrides: Record<string, unknown> = { ...extra }
  if (flags.clickhouseUrl !== undefined) overrides['clickhouse.url'] = flags.clickhouseUrl
  if (flags.dataPath !== undefined) overrides['clickhouse.dataPath'] = flags.dataPath
  if (flags.clickhouseCluster !== undefined) {
    overrides['clickhouse.cluster'] = flags.clickhouseCluster
  }
  return resolveConfig({
    ...(flags.config === undefined ? {} : { file: flags.config }),
    env: process.env,
    overrides,
  })
}

/**
 * What a command that runs against the store starts with: its logger, a warning for every
 * `RH_*` variable that nothing reads, then the configuration.
 */
export function startCommand(
  flags: ConfigFlags,
  extra: Record<string, unknown> = {},
): { config: Config; logger: CliLogger } {
  const logger = createCliLogger({ level: flags.logLevel, format: flags.logFormat })
  warnAboutUnknownEnv(logger, process.env)
  return { config: resolveFromFlags(flags, extra), logger }
}

/** One warning per unknown `RH_*` variable, naming it and the setting it was likely meant as. */
export function warnAboutUnknownEnv(
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const { name, suggestion } of findUnknownEnvNames(env, CLI_ENV_NAMES)) {
    logger.warn(
      { variable: name, ...(suggestion === undefined ? {} : { didYouMean: suggestion }) },
      `ignoring environment variable ${name}: no setting has that name` +
        (suggestion === undefined ? '' : `; did you mean ${suggestion}?`),
    )
  }
}
