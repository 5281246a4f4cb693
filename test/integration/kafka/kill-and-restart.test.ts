import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createStore } from '../../../src/store/store-client.ts'
import {
  expectedChecksum,
  messagesInTopic,
  produceStream,
  seededRandom,
  storedChecksum,
} from '../../helpers/kafka-streams.ts'
import { startWorkerProcess, type WorkerProcess } from '../../helpers/kafka-worker-process.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testBrokers,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { uniqueName, waitFor } from '../../helpers/store.ts'

const TRIALS = [{ seed: 11 }, { seed: 23 }, { seed: 47 }]
const KILLS_PER_TRIAL = 2
const PARTITIONS = 4
const EVENTS = 20_000
/**
 * Three worker processes start, each loading Node, chDB and KafkaJS, and the group rebalances
 * after every kill: on a loaded machine (load average 10-20) that takes minutes, not seconds.
 */
const TRIAL_TIMEOUT_MS = 300_000

// The workers are real processes killed with SIGKILL. With the embedded store they write to
// one data directory, which this process opens only between runs: an embedded engine's
// directory cannot be open in two processes at once. RH_TEST_CLICKHOUSE_URL uses a server.
const serverUrl = process.env.RH_TEST_CLICKHOUSE_URL ?? ''
const dataPath = mkdtempSync(join(tmpdir(), 'rh-kafka-workers-'))

describe.skipIf(kafkaUnavailable())('Kafka worker processes killed with SIGKILL', () => {
  let kafka: TestKafka
  beforeAll(async () => {
    kafka = await connectTestKafka()
  })
  afterAll(async () => {
    await kafka?.close()
    rmSync(dataPath, { recursive: true, force: true })
  })

  for (const { seed } of TRIALS) {
    it(
      `stores every streamed event exactly once after ${KILLS_PER_TRIAL} kills at random moments and a restart (seed ${seed})`,
      async () => {
        const random = seededRandom(seed)
        const topic = await kafka.createTopic('killed_workers', PARTITIONS)
        const groupId = uniqueName('rh_group')
        const database = uniqueName('rh_kill')
        const prefix = `${uniqueName('kill')}-`
        const env = {
          RH_KAFKA_BROKERS: testBrokers().join(','),
          RH_KAFKA_TOPICS: `${topic}:json`,
          RH_KAFKA_GROUP_ID: groupId,
          RH_KAFKA_MAX_BATCH_ROWS: '5000',
          RH_KAFKA_MAX_BATCH_WAIT_MS: '100',
          RH_KAFKA_SESSION_TIMEOUT_MS: '6000',
          RH_KAFKA_HEARTBEAT_INTERVAL_MS: '500',
          RH_CLICKHOUSE_URL: serverUrl,
          RH_CLICKHOUSE_DATA_PATH: dataPath,
          RH_CLICKHOUSE_DATABASE: database,
        }
        const streamed = produceStream(kafka.producer, {
          topic,
          partitions: PARTITIONS,
          prefix,
          count: EVENTS,
          batchSize: 200,
          intervalMs: 80,
        })
        let produced = false
        streamed.then(
          () => (produced = true),
          () => undefined,
        )
        // On a slow machine a worker may get through the whole stream before its kill, and
        // the next one then has nothing left to write: it is killed all the same.
        const nothingLeft = async (): Promise<boolean> =>
          produced && (await kafka.isFullyCommitted(groupId, topic))
        const workers: WorkerProcess[] = []
        try {
          for (let kill = 0; kill < KILLS_PER_TRIAL; kill++) {
            const worker = startWorkerProcess({ env })
            workers.push(worker)
            await worker.waitForBatches(1 + Math.floor(random() * 6), { orUntil: nothingLeft })
            // A random delay on top lands the kill anywhere in a batch: before its claim,
            // between claim and rows, between rows and the written mark, or before the commit.
            await new Promise((resolve) => setTimeout(resolve, random() * 250))
            await worker.kill()
          }
          await streamed
          const survivor = startWorkerProcess({ env })
          workers.push(survivor)
          await waitFor(
            async () => ((await kafka.isFullyCommitted(groupId, topic)) ? true : undefined),
            { what: `all of ${topic} committed\n${survivor.describe()}`, timeoutMs: 180_000 },
          )
          // The survivor may find everything committed before it even starts (the killed
          // workers got through the whole stream); terminate() waits until it consumes.
          expect(await survivor.terminate()).toBe(0)
        } finally {
          // A worker left running by a failure would hold the data directory of the next trial.
          await Promise.all(workers.map((worker) => worker.kill()))
        }
        // The topic itself holds each event once: a duplicate below is the workers' doing.
        expect(await messagesInTopic(kafka, topic)).toBe(EVENTS)

        const store = createStore({
          ...DEFAULT_CONFIG.clickhouse,
          url: serverUrl,
          dataPath,
          database,
        })
        try {
          expect(await storedChecksum(store, prefix)).toEqual(
            await expectedChecksum(store, prefix, EVENTS),
          )
        } finally {
          await store.close()
        }
        const batches = workers.reduce((sum, worker) => sum + worker.batchesWritten, 0)
        const replayed = workers.reduce((sum, worker) => sum + worker.batchesReplayed, 0)
        console.info(
          `seed ${seed}: ${workers.length} worker processes, ${KILLS_PER_TRIAL} SIGKILLs, ${batches} batches written, ${replayed} of them replayed from the ledger; ${EVENTS} events stored once`,
        )
      },
      TRIAL_TIMEOUT_MS,
    )
  }
})
