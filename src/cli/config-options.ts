import type { Command } from 'commander'
import { resolveConfig } from '../config/resolve-config.ts'
import type { Config } from '../config/defaults.ts'

/** Options every command that touches the store shares, and how they map to config keys. */
export function addConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML config file (default: ./release-health.yaml if present)')
    .option('--clickhouse-url <url>', 'ClickHouse server URL (default: the embedded engine)')
    .option('--data-path <dir>', 'data directory of the embedded engine (default: ./data)')
    .option('--log-level <level>', 'debug, info, warn or error', process.env.RH_LOG_LEVEL ?? 'info')
}

export interface ConfigFlags {
  readonly config?: string
  readonly clickhouseUrl?: string
  readonly dataPath?: string
  readonly logLevel: string
}

export function resolveFromFlags(flags: ConfigFlags, extra: Record<string, unknown> = {}): Config {
  const overrides: Record<string, unknown> = { ...extra }
  if (flags.clickhouseUrl !== undefined) overrides['clickhouse.url'] = flags.clickhouseUrl
  if (flags.dataPath !== undefined) overrides['clickhouse.dataPath'] = flags.dataPath
  return resolveConfig({
    ...(flags.config === undefined ? {} : { file: flags.config }),
    env: process.env,
    overrides,
  })
}
