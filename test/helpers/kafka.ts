import { inject } from 'vitest'
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs'
import { DEFAULT_CONFIG, type Config } from '../../src/config/defaults.ts'
import { fixKafkaRequestQueue } from '../../src/ingest/kafka/consumer/request-queue-fix.ts'
import { uniqueName, waitFor } from './store.ts'

/** Bootstrap brokers of the test broker (test/setup/kafka-global-setup.ts); [] when none. */
export function testBrokers(): string[] {
  const brokers = inject('kafkaBrokers')
  return brokers === '' ? [] : brokers.split(',')
}

/** True when the Kafka tests must skip, with the reason printed once per file. */
export function kafkaUnavailable(): boolean {
  if (testBrokers().length > 0) return false
  console.warn(`skipping Kafka tests: ${inject('kafkaUnavailableReason')}`)
  return true
}

/** The `kafka` config section for a test: its own topic(s) and group, quick to rebalance. */
export function testKafkaConfig(
  topics: Readonly<Record<string, string>>,
  overrides: Partial<Config['kafka']> = {},
): Config['kafka'] {
  return {
    ...DEFAULT_CONFIG.kafka,
    brokers: testBrokers(),
    topics: Object.entries(topics).map(([topic, format]) => `${topic}:${format}`),
    groupId: uniqueName('rh_group'),
    maxBatchWaitMs: 100,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    ...overrides,
  }
}

export interface TestKafka {
  readonly admin: Admin
  readonly producer: Producer
  /** Creates a topic with a unique name and returns the name. */
  createTopic(prefix: string, partitions?: number): Promise<string>
  /** Offset after the last message of each partition, by partition. */
  endOffsets(topic: string): Promise<Map<number, bigint>>
  /** The group's committed offset of each partition (-1 when none). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>
  /** True once the group has committed every partition up to its end. */
  isFullyCommitted(groupId: string, topic: string): Promise<boolean>
  close(): Promise<void>
}

/**
 * The producer of the tests: idempotent, so that the topic holds each sent message once.
 *
 * A plain KafkaJS producer resends a whole produce request when the broker's answer is an
 * error for some partition or never arrives, and the broker appends again what it had already
 * appended the first time. On a loaded machine that happens (a partition of a topic created
 * moments ago is not ready yet, a request times out), and the topic then holds some events
 * twice, at two offsets: the exactly-once tests counted those as duplicates of the worker.
 * An idempotent producer numbers its batches per partition, and the broker drops a batch it
 * already has.
 */
export function createTestProducer(kafka: Kafka): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
}

/** An admin client and a producer on the test broker. */
export async function connectTestKafka(): Promise<TestKafka> {
  fixKafkaRequestQueue()
  const kafka = new Kafka({
    clientId: 'release-health-tests',
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  const producer = createTestProducer(kafka)
  await admin.connect()
  await producer.connect()
  const endOffsets = async (topic: string): Promise<Map<number, bigint>> => {
    const offsets = await admin.fetchTopicOffsets(topic)
    return new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)]))
  }
  const committedOffsets = async (groupId: string, topic: string): Promise<Map<number, bigint>> => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return new Map(
      (committed?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]),
    )
  }
  return {
    admin,
    producer,
    async createTopic(prefix, partitions = 1) {
      const topic = uniqueName(prefix)
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions }],
        // KafkaJS's own wait gives up when the broker answers that it does not host the
        // topic yet, which a loaded broker does for a while after creating it.
        waitForLeaders: false,
      })
      await waitFor(async () => ((await hasLeaders(admin, topic, partitions)) ? true : undefined), {
        what: `leaders for the ${partitions} partitions of ${topic}`,
        timeoutMs: 60_000,
      })
      return topic
    },
    endOffsets,
    committedOffsets,
    async isFullyCommitted(groupId, topic) {
      try {
        const [ends, committed] = await Promise.all([
          endOffsets(topic),
          committedOffsets(groupId, topic),
        ])
        return [...ends].every(([partition, end]) => end === 0n || committed.get(partition) === end)
      } catch (error) {
        // A passing broker state (the group coordinator loading, say) means "not yet".
        if ((error as { retriable?: unknown }).retriable === true) return false
        throw error
      }
    },
    async close() {
      await producer.disconnect()
      await admin.disconnect()
    },
  }
}

/** True once every partition of `topic` has a leader; false while the broker is not there yet. */
async function hasLeaders(admin: Admin, topic: string, partitions: number): Promise<boolean> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    const found = topics[0]?.partitions ?? []
    return found.length === partitions && found.every(({ leader }) => leader >= 0)
  } catch (error) {
    if ((error as { retriable?: unknown }).retriable === true) return false
    throw error
  }
}

export interface ReleaseEventSpec {
  readonly id: string
  /** RFC 3339; defaults to now (a fixed date would fall out of the tables' TTL one day). */
  readonly timestamp?: string
  readonly release?: string
  /** Defaults to checkout. */
  readonly service?: string
  /** Defaults to checkout.completed. */
  readonly name?: string
  readonly flags?: Readonly<Record<string, string>>
  readonly outcome?: 'success' | 'failure'
  readonly value?: number
}

/** A valid `json` release event (docs/kafka-json-events.md); `attributes.id` identifies it. */
export function releaseEvent(spec: ReleaseEventSpec): string {
  return JSON.stringify({
    schemaVersion: 1,
    timestamp: spec.timestamp ?? new Date().toISOString(),
    service: spec.service ?? 'checkout',
    environment: 'production',
    release: spec.release ?? '1.5.0',
    flags: spec.flags ?? {},
    name: spec.name ?? 'checkout.completed',
    value: spec.value ?? 182.5,
    outcome: spec.outcome ?? 'success',
    attributes: { id: spec.id, region: 'eu-west-1' },
  })
}
