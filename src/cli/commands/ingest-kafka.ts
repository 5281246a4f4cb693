import { Command } from 'commander'
import { createKafkaIngest } from '../../ingest/kafka/index.ts'
import { toMappingOptions } from '../../model/to-span-rows.ts'
import { migrate } from '../../store/migrate.ts'
import { assertReachable, createStore } from '../../store/store-client.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'
import { startOtelSdk } from '../otel-sdk.ts'
import { packageVersion } from '../package-version.ts'
import { noopTracer, traceStore } from '../../telemetry/tracing.ts'

interface IngestKafkaFlags extends ConfigFlags {
  readonly brokers?: string
  readonly topics?: string
  readonly groupId?: string
}

/** How often the running totals (messages, rows, dead letters, replays) are logged. */
const METRICS_LOG_INTERVAL_MS = 60_000

export function createIngestKafkaCommand(): Command {
  return addConfigOptions(new Command('ingest-kafka'))
    .description(
      'consume Kafka topics into ClickHouse as a consumer-group worker, exactly once; run as many as there are partitions to share',
    )
    .option('--brokers <list>', 'bootstrap brokers, comma-separated (kafka.brokers)')
    .option(
      '--topics <list>',
      'topic:format entries, comma-separated; formats otlp_proto, otlp_json, json (kafka.topics)',
    )
    .option('--group-id <id>', 'consumer group shared by the workers (kafka.groupId)')
    .addHelpText(
      'after',
      '\nEvery setting also reads from the config file and RH_* variables, e.g. RH_KAFKA_BROKERS,\nRH_KAFKA_TOPICS, RH_KAFKA_GROUP_ID. SIGTERM or SIGINT shuts down gracefully: the batch being\nwritten finishes, its offsets are committed, and the worker leaves the group.',
    )
    .action(async (flags: IngestKafkaFlags) => {
      const overrides: Record<string, unknown> = {}
      if (flags.brokers !== undefined) overrides['kafka.brokers'] = flags.brokers
      if (flags.topics !== undefined) overrides['kafka.topics'] = flags.topics
      if (flags.groupId !== undefined) overrides['kafka.groupId'] = flags.groupId
      const { config, logger } = startCommand(flags, overrides)
      const signal = waitForShutdownSignal()
      // Traces of every batch's store writes, when OTEL_* variables say where to send them.
      const otel = startOtelSdk({ env: process.env, version: packageVersion(), logger })
      const tracer =
        otel?.providers.tracerProvider?.getTracer('release-health', packageVersion()) ?? noopTracer
      const store = traceStore(createStore(config.clickhouse), tracer)
      try {
        // Created first: it checks the kafka settings before any migration runs.
        const ingest = createKafkaIngest({
          store,
          config: config.kafka,
          mapping: toMappingOptions(config),
          logger,
        })
        await assertReachable(store)
        await migrate({ store, ttlDays: config.clickhouse.ttlDays, logger })
        await ingest.start()
        logger.info(
          {
            brokers: config.kafka.brokers,
            topics: config.kafka.topics,
            groupId: config.kafka.groupId,
            store: store.location,
          },
          'kafka ingestion started',
        )
        const metricsTimer = setInterval(
          () => logger.info({ ...ingest.metrics() }, 'kafka ingestion totals'),
          METRICS_LOG_INTERVAL_MS,
        )
        logger.info({ signal: await signal }, 'shutting down kafka ingestion')
        clearInterval(metricsTimer)
        await ingest.stop()
        logger.info({ ...ingest.metrics() }, 'kafka ingestion stopped')
      } finally {
        await store.close()
        await otel?.shutdown()
        logger.flush()
      }
    })
}

function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
}
