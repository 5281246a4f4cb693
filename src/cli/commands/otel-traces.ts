import { setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import { migrate } from '../../store/migrate.ts'
import { createOtelRollup, dropOtelRollup } from '../../store/otel-rollup-lifecycle.ts'
import { OTEL_ROLLUP_LOOKUP_MS } from '../../store/otel-rollup.ts'
import { toConfiguredSpanSource } from '../../store/otel-traces.ts'
import { assertReachable, createStore } from '../../store/store-client.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'

interface RollupFlags extends ConfigFlags {
  readonly table?: string
  readonly insertTable?: string
  readonly drop?: boolean
}

/** `release-health otel-traces ...`: the span source over the Collector exporter's table. */
export function createOtelTracesCommand(): Command {
  return new Command('otel-traces')
    .description(
      "the span source over the OpenTelemetry Collector ClickHouse exporter's traces table (clickhouse.otelTraces.table)",
    )
    .addCommand(createRollupCommand())
}

function createRollupCommand(): Command {
  return addConfigOptions(new Command('rollup'))
    .description(
      "make per-minute rollups of the exporter's table, so that verdicts read a few rows per minute instead of every span: materialized views on the exporter's table plus a backfill (waits 1-2 minutes for the cut-over); --drop removes them",
    )
    .option(
      '--table <database.table>',
      "the exporter's traces table (default: clickhouse.otelTraces.table)",
    )
    .option(
      '--insert-table <database.table>',
      "the table the exporter inserts into, if not that one (on a cluster: each shard's local table when the exporter writes to the shards directly)",
    )
    .option('--drop', 'drop the views and empty the rollup; verdicts read raw rows again')
    .addHelpText(
      'after',
      `
The views are the one object release-health adds on the exporter's side: they run on each of
its inserts, and while they exist an insert fails if they fail. They live in release-health's
database; --drop (or dropping that database) removes them and leaves the exporter's table as it
was. Verdicts use the rollup once it is complete, with the same verdicts as from raw rows.
Examples:
  release-health otel-traces rollup --clickhouse-url http://ch:8123 --table otel.otel_traces
  release-health otel-traces rollup --clickhouse-url http://ch:8123 --drop`,
    )
    .action(async (flags: RollupFlags) => {
      const { config, logger } = startCommand(
        flags,
        flags.table === undefined ? {} : { 'clickhouse.otelTraces.table': flags.table },
      )
      const store = createStore(config.clickhouse)
      try {
        await assertReachable(store)
        // The rollup tables and the otel_spans view come with the schema.
        await migrate({
          store,
          ttlDays: config.clickhouse.ttlDays,
          logger,
          configured: toConfiguredSpanSource(store.database, config).statements,
          cluster: config.clickhouse.cluster,
        })
        const common = { store, config, logger, now: Date.now, sleep: (ms: number) => sleep(ms) }
        if (flags.drop === true) {
          const state = await dropOtelRollup(common)
          console.log(
            state === undefined
              ? 'no rollup of the exporter table was ever made; nothing to drop'
              : `dropped the rollup of ${state.readTable}: verdicts read its rows again`,
          )
          return
        }
        const { outcome, state } = await createOtelRollup({
          ...common,
          ingestLagMs: config.api.ingestLagMs,
          ...(flags.insertTable === undefined ? {} : { insertTable: flags.insertTable }),
        })
        console.log(
          outcome === 'current'
            ? `the rollup of ${state.readTable} is in place already (since ${new Date(state.recordedAtMs).toISOString()})`
            : `rollup of ${state.readTable} complete: views on ${state.insertTable} from ${new Date(state.cutoverMs).toISOString()}, earlier rows backfilled; verdicts read it within ${OTEL_ROLLUP_LOOKUP_MS / 1000} s`,
        )
      } finally {
        await store.close()
      }
    })
}
