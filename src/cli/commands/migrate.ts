import { Command } from 'commander'
import { migrate } from '../../store/migrate.ts'
import { toConfiguredSpanSource } from '../../store/otel-traces.ts'
import { assertReachable, createStore } from '../../store/store-client.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'

export function createMigrateCommand(): Command {
  return addConfigOptions(new Command('migrate'))
    .description('create or upgrade the ClickHouse schema; running it again changes nothing')
    .action(async (flags: ConfigFlags) => {
      const { config, logger } = startCommand(flags)
      const store = createStore(config.clickhouse)
      try {
        await assertReachable(store)
        const result = await migrate({
          store,
          ttlDays: config.clickhouse.ttlDays,
          logger,
          configured: toConfiguredSpanSource(store.database, config).statements,
          cluster: config.clickhouse.cluster,
        })
        console.log(
          result.applied.length === 0 && result.ttlChanged.length === 0
            ? `schema of ${store.database} on ${store.location} is current`
            : `applied migrations [${result.applied.join(', ')}], TTL changed on [${result.ttlChanged.join(', ')}]`,
        )
      } finally {
        await store.close()
      }
    })
}
