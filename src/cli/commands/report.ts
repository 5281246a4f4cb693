import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { RhError } from '../../errors.ts'
import { loadAnalysisReport, loadServiceReport, loadTrainReport } from '../../report/load-report.ts'
import { createSpanSources } from '../../store/span-sources.ts'
import { renderReport } from '../../report/render-report.ts'
import { readReportStyles } from '../../report/report-styles.ts'
import type { Config } from '../../config/defaults.ts'
import { assertReachable, createStore, type Store } from '../../store/store-client.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'
import { packageVersion } from '../package-version.ts'

interface ReportFlags extends ConfigFlags {
  readonly analysis?: string
  readonly train?: string
  readonly service?: string
  readonly environment: string
  readonly from?: number
  readonly to?: number
  readonly out: string
}

export function createReportCommand(): Command {
  return addConfigOptions(new Command('report'))
    .description(
      'write one self-contained HTML file (inline SVG charts) for a postmortem: change timeline, verdict history, metrics around each change',
    )
    .option('--analysis <id>', 'report on one analysis')
    .option('--train <id>', 'report on one release train: its decisions and every member')
    .option('--service <name>', 'report on a service over --from..--to')
    .addOption(
      new Option('--environment <name>', 'with --service: one environment').default('', 'all'),
    )
    .option(
      '--from <time>',
      'with --service: start, RFC 3339 (e.g. 2026-11-22T10:00:00Z)',
      parseTime,
    )
    .option('--to <time>', 'with --service: end, RFC 3339 (default: now)', parseTime)
    .option('--out <file>', 'where to write the report', 'report.html')
    .addHelpText(
      'after',
      '\nReads the store directly (the embedded engine in --data-path, or --clickhouse-url).\nExamples:\n  release-health report --analysis 6f0c1d2e-... --out checkout-rollback.html\n  release-health report --train train-4b1e... --out release-42.html\n  release-health report --service checkout --from 2026-11-22T09:00:00Z --to 2026-11-22T12:00:00Z',
    )
    .action(async (flags: ReportFlags) => {
      const { config } = startCommand(flags)
      const store = openStore(config.clickhouse)
      try {
        await assertReachable(store)
        const context = {
          store,
          nowMs: Date.now(),
          version: packageVersion(),
          sources: createSpanSources({ store, config }),
        }
        const model =
          flags.analysis !== undefined
            ? await loadAnalysisReport(context, flags.analysis)
            : flags.train !== undefined
              ? await loadTrainReport(context, flags.train)
              : await loadServiceReport(context, toServiceQuery(flags, context.nowMs))
        const path = resolve(flags.out)
        writeFileSync(path, renderReport(model, { css: readReportStyles() }))
        console.log(
          `wrote ${path}: ${model.changes.length} changes, ${model.analyses.length} analyses`,
        )
      } finally {
        await store.close()
      }
    })
}

/**
 * The embedded engine allows one process per data directory, so a report on the data of a
 * running `serve` cannot open it: say so, and what to do, rather than show chDB's trace.
 */
function openStore(options: Config['clickhouse']): Store {
  try {
    return createStore(options)
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'CHDB_CONNECTION') throw error
    throw new RhError(
      'RH_STORE_UNREACHABLE',
      `the embedded store in ${options.dataPath} is in use, most likely by a running \`release-health serve\`: stop it first, or run release-health against a ClickHouse server (--clickhouse-url) so that both can read it`,
      { cause: error },
    )
  }
}

function toServiceQuery(
  flags: ReportFlags,
  nowMs: number,
): { service: string; environment: string; fromMs: number; toMs: number } {
  if (flags.service === undefined || flags.from === undefined) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'say what to report on: --analysis <id>, --train <id>, or --service <name> --from <time> [--to <time>]',
    )
  }
  return {
    service: flags.service,
    environment: flags.environment,
    fromMs: flags.from,
    // Up to the last complete minute: a partial one would look like a drop in traffic.
    toMs: flags.to ?? Math.floor(nowMs / 60_000) * 60_000,
  }
}

function parseTime(value: string): number {
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError('expected an RFC 3339 time such as 2026-11-22T10:00:00Z')
  }
  return ms
}
