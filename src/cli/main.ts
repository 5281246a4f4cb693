import { Command, CommanderError } from 'commander'
import { isRhError } from '../errors.ts'
import { createIngestKafkaCommand } from './commands/ingest-kafka.ts'
import { createJudgeCommand } from './commands/judge.ts'
import { createMigrateCommand } from './commands/migrate.ts'
import { createOtelTracesCommand } from './commands/otel-traces.ts'
import { createReportCommand } from './commands/report.ts'
import { createServeCommand } from './commands/serve.ts'
import { createSimulateCommand } from './commands/simulate.ts'
import { createSqlCommand } from './commands/sql.ts'
import { packageVersion } from './package-version.ts'

/** Exit code for bad usage or configuration (sysexits EX_USAGE). */
const EXIT_USAGE = 64

export function createProgram(): Command {
  return new Command('release-health')
    .description(
      'Release-health observability and canary analysis over OpenTelemetry and ClickHouse',
    )
    .version(packageVersion())
    .addCommand(createServeCommand())
    .addCommand(createMigrateCommand())
    .addCommand(createIngestKafkaCommand())
    .addCommand(createJudgeCommand())
    .addCommand(createSimulateCommand())
    .addCommand(createReportCommand())
    .addCommand(createSqlCommand())
    .addCommand(createOtelTracesCommand())
    .showHelpAfterError()
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram().exitOverride()
  try {
    await program.parseAsync([...argv])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE
    if (isRhError(error)) {
      console.error(`release-health: ${error.message} [${error.code}]`)
      return error.code === 'RH_CONFIG_INVALID' ? EXIT_USAGE : 1
    }
    throw error
  }
}
