import type { ISocketFactory } from 'kafkajs'
import type { Config } from '../../config/defaults.ts'
import { RhError } from '../../errors.ts'
import { silentLogger, type Logger } from '../../logger.ts'
import type { MappingOptions } from '../../model/to-span-rows.ts'
import type { Store } from '../../store/store-client.ts'
import { noopInstruments, type Instruments } from '../../telemetry/instruments.ts'
import { createFlowControl } from './consumer/flow-control.ts'
import {
  createGroupConsumer,
  type ConsumerState,
  type GroupConsumer,
} from './consumer/group-consumer.ts'
import { createLagTracker, type PartitionLag } from './consumer/partition-lag.ts'
import { createPartitionPipeline } from './consumer/partition-pipeline.ts'
import { createFetchDecoder, type FetchDecoder } from './formats/fetch-decoder.ts'
import { parseTopicFormats } from './formats/parse-topic-formats.ts'
import { createIngestMetrics, type KafkaIngestMetrics } from './ingest-metrics.ts'
import { createBatchLedger } from './ledger/batch-ledger.ts'
import { isCleartextPassword, toKafkaSecurity } from './security/kafka-security.ts'
import { createBatchWriter } from './writer/write-batch.ts'

export type { KafkaIngestMetrics } from './ingest-metrics.ts'
export type { ConsumerState } from './consumer/group-consumer.ts'
export type { PartitionLag } from './consumer/partition-lag.ts'

export interface KafkaIngestOptions {
  /** A migrated store (migration 2 adds the `events` and `kafka_batches` tables). */
  readonly store: Store
  readonly config: Config['kafka']
  /** How OTel attributes become release-health dimensions (`toMappingOptions(config)`). */
  readonly mapping: MappingOptions
  readonly logger?: Logger
  /** Batch write times and per-partition lag go here (counters: `metrics()`). */
  readonly instruments?: Instruments
  /**
   * Replaces KafkaJS's socket factory. Tests use it to cut a worker off the network at once,
   * as if its process had died, while another worker shares the process.
   */
  readonly socketFactory?: ISocketFactory
  /**
   * Replaces the decoder of fetched batches (`kafka.decodeThreads` worker threads). Tests use
   * it to make a decoding thread fail, which nothing else can cause on purpose.
   */
  readonly decoder?: FetchDecoder
}

export interface KafkaIngest {
  /**
   * Joins the consumer group and starts consuming; resolves once joined. Throws
   * `RH_KAFKA_UNREACHABLE` when the brokers or topics cannot be reached.
   */
  start(): Promise<void>
  /**
   * Graceful shutdown: stops fetching, lets the batches being written finish (up to
   * `kafka.shutdownTimeoutMs`), commits what was written and leaves the group.
   */
  stop(): Promise<void>
  /** Counters since start: messages, rows, dead letters, replays, failures. */
  metrics(): Readonly<KafkaIngestMetrics>
  /** The assigned partitions with their lag, as of the last fetch of each. */
  partitions(): PartitionLag[]
  state(): ConsumerState
}

/**
 * Kafka ingestion workers: a consumer-group member that writes the configured topics
 * (`kafka.topics`, `topic:format`) to the same ClickHouse tables as the OTLP receiver, with an
 * exactly-once effect across crashes, retries and rebalances (see `createPartitionPipeline`).
 * Poison messages go to `dead_letters` and never stop a partition.
 *
 * @throws RhError `RH_CONFIG_INVALID` when no brokers or topics are configured, a topic entry
 *   is malformed, or the TLS/SASL settings are incomplete or name files that cannot be read.
 */
export function createKafkaIngest(options: KafkaIngestOptions): KafkaIngest {
  const { store, config, mapping } = options
  const logger = options.logger ?? silentLogger
  if (config.brokers.length === 0) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'config key "kafka.brokers" is empty; set the bootstrap brokers, e.g. RH_KAFKA_BROKERS=kafka:9092',
    )
  }
  const topics = parseTopicFormats(config.topics)
  if (topics.size === 0) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'config key "kafka.topics" is empty; name at least one topic:format, e.g. RH_KAFKA_TOPICS=otlp_spans:otlp_proto',
    )
  }
  const security = toKafkaSecurity(config)
  if (isCleartextPassword(security)) {
    logger.warn(
      { sasl: security.description.sasl },
      'kafka.sasl uses PLAIN without TLS: the password crosses the network readable; set kafka.tls.enabled=true',
    )
  }
  const instruments = options.instruments ?? noopInstruments
  const lag = createLagTracker()
  instruments.observeKafkaLag(() => lag.snapshot())
  const metrics = createIngestMetrics()
  const flow = createFlowControl(config.maxBufferedRows)
  const ledger = createBatchLedger({ store, groupId: config.groupId })
  const writeBatch = createBatchWriter(store)
  const decoder = options.decoder ?? createFetchDecoder({ threads: config.decodeThreads })
  const consumer: GroupConsumer = createGroupConsumer({
    config,
    topics,
    decodeOptions: { mapping, maxMessageBytes: config.maxMessageBytes },
    decoder,
    flow,
    metrics,
    logger,
    security,
    lag,
    ...(options.socketFactory === undefined ? {} : { socketFactory: options.socketFactory }),
    createPipeline: (topic, partition, commit) =>
      createPartitionPipeline({
        groupId: config.groupId,
        topic,
        partition,
        ledger,
        writeBatch,
        commit,
        flow,
        metrics,
        logger,
        maxBatchRows: config.maxBatchRows,
        maxBatchWaitMs: config.maxBatchWaitMs,
        onBatchWritten: instruments.kafkaBatchWritten,
      }),
  })
  return {
    start: () => consumer.start(),
    stop: async () => {
      await consumer.stop()
      await decoder.close()
    },
    metrics: () => ({ ...metrics }),
    partitions: () => lag.snapshot(),
    state: () => consumer.state(),
  }
}
