import { CompressionTypes } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { registerCompressionCodecs } from '../../../src/ingest/kafka/consumer/compression-codecs.ts'
import { createKafkaIngest } from '../../../src/ingest/kafka/index.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { produceWithJava, type JavaCompression } from '../../helpers/kafka-java-producer.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testBrokers,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { createMigratedTestStore, queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)
const EVENTS = 2_000
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const KAFKAJS_TYPES = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const

interface Stream {
  readonly producer: 'java' | 'kafkajs'
  readonly codec: (typeof CODECS)[number]
  readonly topic: string
  readonly prefix: string
}

describe.skipIf(kafkaUnavailable())('Kafka ingestion of compressed record batches', () => {
  let store: Store
  let kafka: TestKafka
  const streams: Stream[] = []

  beforeAll(async () => {
    store = await createMigratedTestStore()
    kafka = await connectTestKafka()
    // The KafkaJS producer below compresses with the same codecs the workers read with.
    registerCompressionCodecs()
    for (const codec of CODECS) {
      for (const producer of ['java', 'kafkajs'] as const) {
        const topic = await kafka.createTopic(`${codec}_${producer}`)
        const prefix = `${uniqueName(`${codec}-${producer}`)}-`
        const values = Array.from({ length: EVENTS }, (_, n) =>
          releaseEvent({ id: `${prefix}${n}` }),
        )
        if (producer === 'java') {
          await produceWithJava({
            brokers: testBrokers().join(','),
            topic,
            compression: codec satisfies JavaCompression,
            values,
          })
        } else {
          for (let start = 0; start < EVENTS; start += 500) {
            await kafka.producer.send({
              topic,
              compression: KAFKAJS_TYPES[codec],
              messages: values.slice(start, start + 500).map((value) => ({ value })),
            })
          }
        }
        streams.push({ producer, codec, topic, prefix })
      }
    }
  }, 300_000)

  afterAll(async () => {
    await kafka?.close()
    await store?.close()
  })

  it('stores every event of batches compressed with gzip, snappy, lz4 and zstd by the Java client and by KafkaJS', async () => {
    const config = testKafkaConfig(
      Object.fromEntries(streams.map((stream) => [stream.topic, 'json'])),
    )
    const ingest = createKafkaIngest({ store, config, mapping })
    await ingest.start()
    try {
      await waitFor(
        async () => {
          for (const stream of streams) {
            if (!(await kafka.isFullyCommitted(config.groupId, stream.topic))) return undefined
          }
          return true
        },
        { what: 'every compressed topic committed', timeoutMs: 120_000 },
      )
    } finally {
      await ingest.stop()
    }
    const stored: Record<string, { rows: number; ids: number }> = {}
    for (const stream of streams) {
      const [row] = await queryRows<{ rows: string; ids: string }>(
        store,
        `SELECT count() AS rows, uniqExact(attributes['id']) AS ids FROM ${store.database}.events
         WHERE startsWith(attributes['id'], {prefix:String})`,
        { prefix: stream.prefix },
      )
      stored[`${stream.codec} from ${stream.producer}`] = {
        rows: Number(row?.rows),
        ids: Number(row?.ids),
      }
    }
    // Every event of every stream, once.
    expect(stored).toEqual(
      Object.fromEntries(
        streams.map((s) => [`${s.codec} from ${s.producer}`, { rows: EVENTS, ids: EVENTS }]),
      ),
    )
    expect(ingest.metrics().deadLetters).toBe(0)
  })
})
