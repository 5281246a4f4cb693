import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { createKafkaIngest, type KafkaIngest } from '../../../src/ingest/kafka/index.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createCrashSwitch } from '../../helpers/kafka-faults.ts'
import {
  expectedChecksum,
  messagesInTopic,
  produceStream,
  seededRandom,
  storedChecksum,
} from '../../helpers/kafka-streams.ts'
import { startWorkerProcess } from '../../helpers/kafka-worker-process.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { createMigratedTestStore, uniqueName, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)
const PARTITIONS = 4
const EVENTS = 20_000
const serverUrl = process.env.RH_TEST_CLICKHOUSE_URL ?? ''

/** A worker that can die abruptly. */
interface MortalWorker {
  readonly batchesWritten: number
  /** Dies without committing or leaving the group. */
  die(): Promise<void>
  stop(): Promise<void>
}

/**
 * With the embedded store, two workers writing at the same time must share this process (an
 * embedded engine's directory cannot be open in two). The dying one is then cut off from
 * Kafka and ClickHouse at once, with no commit and no LeaveGroup: for the group and the
 * store, that is what the death of its process looks like. With RH_TEST_CLICKHOUSE_URL the
 * workers are real processes and die by SIGKILL.
 */
function startMortalWorker(store: Store, config: Config['kafka']): Promise<MortalWorker> {
  return serverUrl === ''
    ? startInProcess(store, config)
    : Promise.resolve(startAsProcess(store, config))
}

async function startInProcess(store: Store, config: Config['kafka']): Promise<MortalWorker> {
  const crash = createCrashSwitch()
  const ingest = createKafkaIngest({
    store: crash.storeOf(store),
    config: { ...config, shutdownTimeoutMs: 500 },
    mapping,
    socketFactory: crash.socketFactory,
  })
  await ingest.start()
  let dead = false
  return {
    get batchesWritten() {
      return ingest.metrics().batches
    },
    die() {
      dead = true
      crash.crash()
      return Promise.resolve()
    },
    stop() {
      if (!dead) return ingest.stop()
      // A dead worker is not waited for: its Kafka client would wait out request timeouts on
      // connections that no longer exist. Stopping only clears its timers.
      void ingest.stop().catch(() => undefined)
      return Promise.resolve()
    },
  }
}

function startAsProcess(store: Store, config: Config['kafka']): MortalWorker {
  const worker = startWorkerProcess({
    env: {
      RH_KAFKA_BROKERS: config.brokers.join(','),
      RH_KAFKA_TOPICS: config.topics.join(','),
      RH_KAFKA_GROUP_ID: config.groupId,
      RH_KAFKA_MAX_BATCH_ROWS: String(config.maxBatchRows),
      RH_KAFKA_MAX_BATCH_WAIT_MS: String(config.maxBatchWaitMs),
      RH_KAFKA_SESSION_TIMEOUT_MS: String(config.sessionTimeoutMs),
      RH_KAFKA_HEARTBEAT_INTERVAL_MS: String(config.heartbeatIntervalMs),
      RH_CLICKHOUSE_URL: serverUrl,
      RH_CLICKHOUSE_DATABASE: store.database,
    },
  })
  return {
    get batchesWritten() {
      return worker.batchesWritten
    },
    die: () => worker.kill(),
    stop: async () => {
      await worker.terminate()
    },
  }
}

describe.skipIf(kafkaUnavailable())('Kafka workers sharing a consumer group', () => {
  let store: Store
  let kafka: TestKafka
  beforeAll(async () => {
    store = await createMigratedTestStore()
    kafka = await connectTestKafka()
  })
  afterAll(async () => {
    await kafka?.close()
    await store?.close()
  })

  async function streamTopic(prefix: string): Promise<{ topic: string; streamed: Promise<void> }> {
    const topic = await kafka.createTopic('shared', PARTITIONS)
    const streamed = produceStream(kafka.producer, {
      topic,
      partitions: PARTITIONS,
      prefix,
      count: EVENTS,
      batchSize: 200,
      intervalMs: 60,
    })
    return { topic, streamed }
  }

  async function waitUntilCommitted(groupId: string, topic: string): Promise<void> {
    await waitFor(async () => ((await kafka.isFullyCommitted(groupId, topic)) ? true : undefined), {
      what: `all of ${topic} committed`,
      timeoutMs: 90_000,
    })
  }

  for (const seed of [5, 17, 29]) {
    it(`hands the partitions of a worker that dies mid-stream to the other one, which stores every event once (seed ${seed})`, async () => {
      const random = seededRandom(seed)
      const prefix = `${uniqueName('takeover')}-`
      const { topic, streamed } = await streamTopic(prefix)
      // Batches cut by time, not size, so that the survivor would cut them differently.
      const config = testKafkaConfig({ [topic]: 'json' }, { maxBatchRows: 5_000 })
      const doomed = await startMortalWorker(store, config)
      const survivor = await startMortalWorker(store, config)
      try {
        await waitFor(
          () => (doomed.batchesWritten >= 2 + Math.floor(random() * 6) ? true : undefined),
          { what: 'batches written by the worker that will die' },
        )
        await new Promise((resolve) => setTimeout(resolve, random() * 250))
        await doomed.die()
        await streamed
        await waitUntilCommitted(config.groupId, topic)
      } finally {
        await survivor.stop()
        await doomed.stop()
      }

      // The topic itself holds each event once: a duplicate below is the workers' doing.
      expect(await messagesInTopic(kafka, topic)).toBe(EVENTS)
      expect(await storedChecksum(store, prefix)).toEqual(
        await expectedChecksum(store, prefix, EVENTS),
      )
    })
  }

  it('loses and repeats nothing when workers join and leave the group mid-stream', async () => {
    const prefix = `${uniqueName('rebalance')}-`
    const { topic, streamed } = await streamTopic(prefix)
    const config = testKafkaConfig({ [topic]: 'json' }, { maxBatchRows: 5_000 })
    const workers: KafkaIngest[] = []
    const startWorker = async (): Promise<KafkaIngest> => {
      const worker = createKafkaIngest({ store, config, mapping })
      workers.push(worker)
      await worker.start()
      return worker
    }
    try {
      const first = await startWorker()
      await waitFor(() => (first.metrics().batches >= 3 ? true : undefined))
      const second = await startWorker()
      await waitFor(() => (second.metrics().batches >= 3 ? true : undefined))
      const third = await startWorker()
      await first.stop()
      await waitFor(() => (third.metrics().batches >= 2 ? true : undefined))
      await second.stop()
      await streamed
      await waitUntilCommitted(config.groupId, topic)
    } finally {
      for (const worker of workers) await worker.stop()
    }

    // The topic itself holds each event once: a duplicate below is the workers' doing.
    expect(await messagesInTopic(kafka, topic)).toBe(EVENTS)
    expect(await storedChecksum(store, prefix)).toEqual(
      await expectedChecksum(store, prefix, EVENTS),
    )
  })
})
