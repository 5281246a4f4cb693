import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createKafkaIngest } from '../../../src/ingest/kafka/index.ts'
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

describe.skipIf(kafkaUnavailable())('Kafka ingestion of each format', () => {
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

  /** Runs a worker on `topic` until the group has committed everything produced to it. */
  async function ingestAll(topic: string, format: string): Promise<void> {
    const config = testKafkaConfig({ [topic]: format })
    const ingest = createKafkaIngest({ store, config, mapping })
    await ingest.start()
    try {
      await waitFor(
        async () => ((await kafka.isFullyCommitted(config.groupId, topic)) ? true : undefined),
        {
          what: `all of ${topic} committed`,
        },
      )
    } finally {
      await ingest.stop()
    }
  }

  it('stores json release events with their release, environment and flags', async () => {
    const topic = await kafka.createTopic('events')
    // Recent, so that the table's TTL keeps it, with nanoseconds to see they are kept exactly.
    const second = new Date().toISOString().slice(0, 19)
    const timestamp = `${second}.123456789Z`
    await kafka.producer.send({
      topic,
      messages: [
        {
          value: releaseEvent({
            id: 'a',
            timestamp,
            release: '1.5.0',
            flags: { 'new-checkout': 'on' },
          }),
        },
        {
          value: releaseEvent({
            id: 'b',
            timestamp,
            release: '1.4.2',
            outcome: 'failure',
            value: 900,
          }),
        },
      ],
    })
    await ingestAll(topic, 'json')

    const rows = await queryRows(
      store,
      `SELECT attributes['id'] AS id, toString(timestamp) AS timestamp, service, environment, release,
              flags, name, value, outcome
       FROM ${store.database}.events WHERE attributes['id'] IN ('a', 'b') ORDER BY id`,
    )
    expect(rows).toEqual([
      {
        id: 'a',
        timestamp: `${second.replace('T', ' ')}.123456789`,
        service: 'checkout',
        environment: 'production',
        release: '1.5.0',
        flags: { 'new-checkout': 'on' },
        name: 'checkout.completed',
        value: 182.5,
        outcome: 'success',
      },
      {
        id: 'b',
        timestamp: `${second.replace('T', ' ')}.123456789`,
        service: 'checkout',
        environment: 'production',
        release: '1.4.2',
        flags: {},
        name: 'checkout.completed',
        value: 900,
        outcome: 'failure',
      },
    ])
  })

  for (const format of ['otlp_proto', 'otlp_json'] as const) {
    it(`stores ${format} trace payloads from the OpenTelemetry serializers with release and flag tags`, async () => {
      const release = `2.0.0-${format}`
      // Recent, so that the spans table's TTL keeps the rows.
      const startTimeUnixNano = BigInt(Date.now()) * 1_000_000n
      const payload = buildTracePayload({
        service: 'checkout',
        release,
        environment: 'staging',
        spans: [
          { name: 'GET /cart', kind: 'server', flags: { 'new-cart': 'on' }, startTimeUnixNano },
          {
            name: 'SELECT cart',
            kind: 'client',
            parentIndex: 0,
            error: 'timeout',
            startTimeUnixNano,
          },
        ],
      })
      const topic = await kafka.createTopic(format)
      const value = format === 'otlp_proto' ? Buffer.from(payload.protobuf) : payload.json
      await kafka.producer.send({ topic, messages: [{ value }] })
      await ingestAll(topic, format)

      const rows = await queryRows(
        store,
        `SELECT span_id, name, kind, service, environment, release, flags, status_code, is_entry
         FROM ${store.database}.spans WHERE release = {release:String} ORDER BY name`,
        { release },
      )
      expect(rows).toEqual([
        {
          span_id: payload.spans[0]!.spanContext().spanId,
          name: 'GET /cart',
          kind: 'server',
          service: 'checkout',
          environment: 'staging',
          release,
          flags: { 'new-cart': 'on' },
          status_code: 'unset',
          is_entry: 1,
        },
        {
          span_id: payload.spans[1]!.spanContext().spanId,
          name: 'SELECT cart',
          kind: 'client',
          service: 'checkout',
          environment: 'staging',
          release,
          flags: {},
          status_code: 'error',
          is_entry: 0,
        },
      ])
    })
  }
})
