import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createStore } from '../../../src/store/store-client.ts'
import { expectedChecksum, produceStream, storedChecksum } from '../../helpers/kafka-streams.ts'
import { startWorkerProcess } from '../../helpers/kafka-worker-process.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testBrokers,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

const PARTITIONS = 2
const EVENTS = 10_000

// A real worker process receives SIGTERM. With the embedded store this process opens the
// worker's data directory only after the worker has exited.
const serverUrl = process.env.RH_TEST_CLICKHOUSE_URL ?? ''
const dataPath = mkdtempSync(join(tmpdir(), 'rh-kafka-shutdown-'))

describe.skipIf(kafkaUnavailable())('Kafka worker shutdown on SIGTERM', () => {
  let kafka: TestKafka
  beforeAll(async () => {
    kafka = await connectTestKafka()
  })
  afterAll(async () => {
    await kafka?.close()
    rmSync(dataPath, { recursive: true, force: true })
  })

  it('commits every batch it wrote, leaves the group and exits 0 in the middle of a stream', async () => {
    const topic = await kafka.createTopic('sigterm', PARTITIONS)
    const groupId = uniqueName('rh_group')
    const database = uniqueName('rh_sigterm')
    const prefix = `${uniqueName('sigterm')}-`
    const env = {
      RH_KAFKA_BROKERS: testBrokers().join(','),
      RH_KAFKA_TOPICS: `${topic}:json`,
      RH_KAFKA_GROUP_ID: groupId,
      RH_KAFKA_MAX_BATCH_ROWS: '500',
      RH_KAFKA_MAX_BATCH_WAIT_MS: '100',
      RH_KAFKA_SESSION_TIMEOUT_MS: '30000',
      RH_CLICKHOUSE_URL: serverUrl,
      RH_CLICKHOUSE_DATA_PATH: dataPath,
      RH_CLICKHOUSE_DATABASE: database,
    }
    const streamed = produceStream(kafka.producer, {
      topic,
      partitions: PARTITIONS,
      prefix,
      count: EVENTS,
      batchSize: 100,
      intervalMs: 50,
    })
    const worker = startWorkerProcess({ env })
    await worker.waitForBatches(4)
    expect(await worker.terminate()).toBe(0)

    // Left the group: with a 30 s session, a member that had not left would still be listed.
    const { groups } = await kafka.admin.describeGroups([groupId])
    expect(groups[0]?.members).toEqual([])
    const committed = await kafka.committedOffsets(groupId, topic)
    const store = createStore({ ...DEFAULT_CONFIG.clickhouse, url: serverUrl, dataPath, database })
    try {
      const written = await queryRows<{ partition: number; next: string }>(
        store,
        `SELECT partition, toString(max(last_offset) + 1) AS next FROM ${database}.kafka_batches
         WHERE consumer_group = {groupId:String} AND state = 'written' GROUP BY partition`,
        { groupId },
      )
      expect(written.length).toBeGreaterThan(0)
      for (const { partition, next } of written) {
        expect(committed.get(partition)).toBe(BigInt(next))
      }
    } finally {
      await store.close()
    }

    await streamed
    const successor = startWorkerProcess({ env })
    await waitFor(async () => ((await kafka.isFullyCommitted(groupId, topic)) ? true : undefined), {
      what: `all of ${topic} committed\n${successor.describe()}`,
      timeoutMs: 60_000,
    })
    expect(await successor.terminate()).toBe(0)
    const reopened = createStore({
      ...DEFAULT_CONFIG.clickhouse,
      url: serverUrl,
      dataPath,
      database,
    })
    try {
      expect(await storedChecksum(reopened, prefix)).toEqual(
        await expectedChecksum(reopened, prefix, EVENTS),
      )
    } finally {
      await reopened.close()
    }
  })
})
