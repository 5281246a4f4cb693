import { Command } from 'commander'
import { parseTokens } from '../../api/auth.ts'
import { MESSAGE_FORMATS } from '../../ingest/kafka/formats/format-registry.ts'
import { createKafkaHealthServer } from '../../ingest/kafka/health-server.ts'
import { createKafkaIngest } from '../../ingest/kafka/index.ts'
import { toMappingOptions } from '../../model/to-span-rows.ts'
import { isSchemaCurrent, migrate } from '../../store/migrate.ts'
import { assertReachable, createStore } from '../../store/store-client.ts'
import { createSelfTelemetry } from '../../telemetry/self-telemetry.ts'
import { traceStore } from '../../telemetry/tracing.ts'
import { addConfigOptions, startCommand, type ConfigFlags } from '../config-options.ts'
import { startOtelSdk } from '../otel-sdk.ts'
import { packageVersion } from '../package-version.ts'

interface IngestKafkaFlags extends ConfigFlags {
  readonly brokers?: string
  readonly topics?: string
  readonly groupId?: string
  readonly tls?: boolean
  readonly tlsCaFile?: string
  readonly tlsCertFile?: string
  readonly tlsKeyFile?: string
  readonly tlsServerName?: string
  readonly saslMechanism?: string
  readonly saslUsername?: string
  readonly saslPasswordFile?: string
  readonly oauthTokenFile?: string
  readonly oauthTokenCommand?: string
  readonly httpHost?: string
  readonly httpPort?: string
}

/** Flag -> config key, for the flags that are plain overrides. */
const FLAG_KEYS: readonly (readonly [keyof IngestKafkaFlags, string])[] = [
  ['brokers', 'kafka.brokers'],
  ['topics', 'kafka.topics'],
  ['groupId', 'kafka.groupId'],
  ['tls', 'kafka.tls.enabled'],
  ['tlsCaFile', 'kafka.tls.caFile'],
  ['tlsCertFile', 'kafka.tls.certFile'],
  ['tlsKeyFile', 'kafka.tls.keyFile'],
  ['tlsServerName', 'kafka.tls.serverName'],
  ['saslMechanism', 'kafka.sasl.mechanism'],
  ['saslUsername', 'kafka.sasl.username'],
  ['saslPasswordFile', 'kafka.sasl.passwordFile'],
  ['oauthTokenFile', 'kafka.sasl.oauthTokenFile'],
  ['oauthTokenCommand', 'kafka.sasl.oauthTokenCommand'],
  ['httpHost', 'kafka.http.host'],
  ['httpPort', 'kafka.http.port'],
]

/** How often the running totals (messages, rows, dead letters, replays) are logged. */
const METRICS_LOG_INTERVAL_MS = 60_000

const HELP_AFTER = `
Every setting also reads from the config file and RH_* variables, e.g. RH_KAFKA_BROKERS,
RH_KAFKA_TOPICS, RH_KAFKA_GROUP_ID, RH_KAFKA_TLS_ENABLED, RH_KAFKA_SASL_MECHANISM,
RH_KAFKA_SASL_USERNAME, RH_KAFKA_SASL_PASSWORD. There is no password flag on purpose: a command
line is visible to every user of the machine (ps); use RH_KAFKA_SASL_PASSWORD or
--sasl-password-file. Secrets are never logged. README "Kafka security" gives the settings of
Confluent Cloud, Amazon MSK, Aiven and Redpanda Cloud.

The worker serves GET /healthz (alive), /readyz (a member of the group and the store
migrated) and /metrics (Prometheus: consumer lag per partition, rows, dead letters, batch
write times) on kafka.http.host:port (127.0.0.1:8081).

SIGTERM or SIGINT shuts down gracefully: the batch being written finishes, its offsets are
committed, and the worker leaves the group.`

export function createIngestKafkaCommand(): Command {
  return addConfigOptions(new Command('ingest-kafka'))
    .description(
      'consume Kafka topics into ClickHouse as a consumer-group worker, exactly once; run as many as there are partitions to share',
    )
    .option('--brokers <list>', 'bootstrap brokers, comma-separated (kafka.brokers)')
    .option(
      '--topics <list>',
      `topic:format entries, comma-separated; formats ${MESSAGE_FORMATS.join(', ')} (kafka.topics)`,
    )
    .option('--group-id <id>', 'consumer group shared by the workers (kafka.groupId)')
    .option('--tls', 'connect with TLS (kafka.tls.enabled)')
    .option(
      '--tls-ca-file <file>',
      'PEM CAs to trust instead of the public ones (kafka.tls.caFile)',
    )
    .option('--tls-cert-file <file>', 'client certificate for mutual TLS (kafka.tls.certFile)')
    .option('--tls-key-file <file>', 'client key for mutual TLS (kafka.tls.keyFile)')
    .option(
      '--tls-server-name <name>',
      'name the broker certificates must carry (kafka.tls.serverName)',
    )
    .option(
      '--sasl-mechanism <name>',
      'plain, scram-sha-256, scram-sha-512 or oauthbearer (kafka.sasl.mechanism)',
    )
    .option('--sasl-username <name>', 'SASL user (kafka.sasl.username)')
    .option('--sasl-password-file <file>', 'file holding the password (kafka.sasl.passwordFile)')
    .option(
      '--oauth-token-file <file>',
      'OAUTHBEARER token file, read again when it changes (kafka.sasl.oauthTokenFile)',
    )
    .option(
      '--oauth-token-command <command>',
      'OAUTHBEARER: a command printing a token, run again before it expires (kafka.sasl.oauthTokenCommand)',
    )
    .option('--http-host <host>', 'address of /healthz, /readyz, /metrics (kafka.http.host)')
    .option('--http-port <port>', 'their port; 0 = any free port (kafka.http.port)')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: IngestKafkaFlags) => {
      const overrides: Record<string, unknown> = {}
      for (const [flag, key] of FLAG_KEYS) {
        if (flags[flag] !== undefined) overrides[key] = flags[flag]
      }
      const { config, logger } = startCommand(flags, overrides)
      const signal = waitForShutdownSignal()
      // Traces of every batch's store writes and the metrics, when OTEL_* variables say where
      // to send them; the metrics are served at /metrics in any case.
      const otel = startOtelSdk({ env: process.env, version: packageVersion(), logger })
      const telemetry = createSelfTelemetry({ version: packageVersion(), otel: otel?.providers })
      const store = traceStore(createStore(config.clickhouse), telemetry.tracer)
      try {
        // Created first: it checks the kafka settings before any migration runs.
        const ingest = createKafkaIngest({
          store,
          config: config.kafka,
          mapping: toMappingOptions(config),
          logger,
          instruments: telemetry.instruments,
        })
        telemetry.instruments.observeCounters('rh.kafka', () => ingest.metrics())
        const health = config.kafka.http.enabled
          ? createKafkaHealthServer({
              ingest,
              isStoreReady: () => isSchemaCurrent(store),
              servePrometheus: telemetry.servePrometheus,
              tokens: parseTokens(config.auth.tokens),
            })
          : undefined
        try {
          if (health !== undefined) {
            const url = await health.listen({
              host: config.kafka.http.host,
              port: config.kafka.http.port,
            })
            logger.info(
              { url },
              'ingest-kafka health and metrics listening (/healthz, /readyz, /metrics)',
            )
          }
          await assertReachable(store)
          await migrate({
            store,
            ttlDays: config.clickhouse.ttlDays,
            logger,
            cluster: config.clickhouse.cluster,
          })
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
          await health?.close()
        }
      } finally {
        await telemetry.shutdown()
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
