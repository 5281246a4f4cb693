import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { createKafkaIngest, type KafkaIngestMetrics } from '../../../src/ingest/kafka/index.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { createMigratedTestStore, queryRows, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)
const MAX_MESSAGE_BYTES = 64 * 1024

interface DeadLetterRow {
  offset: string
  item_index: number
  key_hex: string
  payload_hex: string
  error: string
}

describe.skipIf(kafkaUnavailable())('Kafka poison messages', () => {
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

  async function ingestAll(config: Config['kafka'], topic: string): Promise<KafkaIngestMetrics> {
    const ingest = createKafkaIngest({ store, config, mapping })
    await ingest.start()
    try {
      await waitFor(
        async () => ((await kafka.isFullyCommitted(config.groupId, topic)) ? true : undefined),
        { what: `all of ${topic} committed` },
      )
    } finally {
      await ingest.stop()
    }
    return ingest.metrics()
  }

  async function deadLetters(topic: string): Promise<DeadLetterRow[]> {
    return queryRows<DeadLetterRow>(
      store,
      `SELECT toString(offset) AS offset, item_index, hex(key) AS key_hex,
              hex(payload) AS payload_hex, error
       FROM ${store.database}.dead_letters WHERE source = 'kafka' AND topic = {topic:String}
       ORDER BY offset`,
      { topic },
    )
  }

  it('sends bad json events to the dead letters with their raw bytes and writes the good ones around them', async () => {
    const topic = await kafka.createTopic('poison_json')
    const binaryKey = Buffer.from([0xff, 0x00, 0x80, 0x0a])
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])
    const huge = releaseEvent({ id: 'huge' }).replace(
      '"region"',
      `"padding":"${'x'.repeat(MAX_MESSAGE_BYTES)}","region"`,
    )
    const messages = [
      { value: releaseEvent({ id: 'good-1' }) },
      { key: binaryKey, value: 'this is not JSON' },
      { value: invalidUtf8 },
      { value: releaseEvent({ id: 'good-2' }).replace('"schemaVersion":1', '"schemaVersion":2') },
      {
        value: JSON.stringify({
          schemaVersion: 1,
          timestamp: new Date().toISOString(),
          name: 'x',
          value: 1,
        }),
      },
      { value: releaseEvent({ id: 'good-3' }) },
      { value: huge },
      { key: 'tombstone', value: null },
      { value: releaseEvent({ id: 'good-4' }) },
    ]
    await kafka.producer.send({ topic, messages })

    const config = testKafkaConfig({ [topic]: 'json' }, { maxMessageBytes: MAX_MESSAGE_BYTES })
    const metrics = await ingestAll(config, topic)

    const stored = await queryRows<{ id: string }>(
      store,
      `SELECT attributes['id'] AS id FROM ${store.database}.events ORDER BY id`,
    )
    expect(stored.map((row) => row.id)).toEqual(['good-1', 'good-3', 'good-4'])
    const letters = await deadLetters(topic)
    expect(letters.map(({ offset }) => offset)).toEqual(['1', '2', '3', '4', '6', '7'])
    expect(letters[0]).toEqual({
      offset: '1',
      item_index: -1,
      key_hex: binaryKey.toString('hex').toUpperCase(),
      payload_hex: Buffer.from('this is not JSON').toString('hex').toUpperCase(),
      error: expect.stringMatching(/^json: the message is not valid JSON/),
    })
    expect(letters[1]).toMatchObject({
      payload_hex: invalidUtf8.toString('hex').toUpperCase(),
      error: 'json: the message is not valid UTF-8',
    })
    expect(letters[2]?.error).toMatch(/schemaVersion must be 1, got 2/)
    expect(letters[3]?.error).toMatch(/service must be a non-empty string/)
    expect(letters[4]).toMatchObject({
      payload_hex: Buffer.from(huge).toString('hex').toUpperCase(),
      error: expect.stringMatching(/more than kafka.maxMessageBytes \(65536\)/),
    })
    expect(letters[5]).toMatchObject({
      key_hex: Buffer.from('tombstone').toString('hex').toUpperCase(),
      payload_hex: '',
      error: 'json: the message has no value',
    })
    expect(metrics).toMatchObject({ deadLetters: 6, rowsWritten: 3 })
  })

  it('sends truncated and foreign otlp_proto payloads to the dead letters and writes the valid ones', async () => {
    const topic = await kafka.createTopic('poison_proto')
    const startTimeUnixNano = BigInt(Date.now()) * 1_000_000n
    const payload = (release: string): Buffer =>
      Buffer.from(
        buildTracePayload({
          service: 'checkout',
          release,
          spans: [{ name: 'GET /cart', kind: 'server', startTimeUnixNano }],
        }).protobuf,
      )
    const truncated = payload('truncated').subarray(0, 40)
    const foreign = Buffer.from('{"resourceSpans":[]}')
    await kafka.producer.send({
      topic,
      messages: [
        { value: payload('poison-1') },
        { value: truncated },
        { value: foreign },
        { value: payload('poison-2') },
      ],
    })

    await ingestAll(testKafkaConfig({ [topic]: 'otlp_proto' }), topic)

    const releases = await queryRows<{ release: string }>(
      store,
      `SELECT release FROM ${store.database}.spans WHERE release LIKE 'poison-%' ORDER BY release`,
    )
    expect(releases.map((row) => row.release)).toEqual(['poison-1', 'poison-2'])
    const letters = await deadLetters(topic)
    expect(letters).toEqual([
      expect.objectContaining({
        offset: '1',
        payload_hex: truncated.toString('hex').toUpperCase(),
      }),
      expect.objectContaining({ offset: '2', payload_hex: foreign.toString('hex').toUpperCase() }),
    ])
    for (const letter of letters) expect(letter.error).toMatch(/^otlp_proto: /)
  })
})
