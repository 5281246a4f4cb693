import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { KAFKA_FORMATS } from '../../../src/ingest/kafka/formats/format-registry.ts'
import { createKafkaIngest } from '../../../src/ingest/kafka/index.ts'
import { createBatchWriter } from '../../../src/ingest/kafka/writer/write-batch.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { buildMetricPayload } from '../../helpers/metric-payloads.ts'
import { createMigratedTestStore, queryRows, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)

describe.skipIf(kafkaUnavailable())('Kafka ingestion of OTLP metrics topics', () => {
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
        { what: `all of ${topic} committed` },
      )
    } finally {
      await ingest.stop()
    }
  }

  for (const format of ['otlp_metrics_proto', 'otlp_metrics_json'] as const) {
    it(`stores ${format} payloads of the OpenTelemetry metrics SDK as metric points`, async () => {
      const release = `3.0.0-${format}`
      const payload = await buildMetricPayload({
        resource: {
          'service.name': 'checkout',
          'service.version': release,
          'deployment.environment.name': 'staging',
        },
        temporality: 'cumulative',
        record: (meter) => {
          meter.createCounter('orders.processed').add(5, { region: 'eu' })
          const duration = meter.createHistogram('http.server.request.duration', { unit: 's' })
          duration.record(0.02, { 'http.response.status_code': 200 })
          duration.record(0.7, { 'http.response.status_code': 503 })
        },
      })
      const topic = await kafka.createTopic(format)
      const value = format === 'otlp_metrics_proto' ? Buffer.from(payload.protobuf) : payload.json
      await kafka.producer.send({ topic, messages: [{ value }] })
      await ingestAll(topic, format)

      const query = `SELECT metric_name, metric_type, temporality, unit, service, environment, value, toInt32(count) AS count,
              attributes
       FROM ${store.database}.metric_points WHERE release = {release:String}
       ORDER BY metric_name, count`
      const expected = [
        {
          metric_name: 'http.server.request.duration',
          metric_type: 'histogram',
          temporality: 'cumulative',
          unit: 's',
          service: 'checkout',
          environment: 'staging',
          value: 0,
          count: 1,
          attributes: { 'http.response.status_code': '200' },
        },
        {
          metric_name: 'http.server.request.duration',
          metric_type: 'histogram',
          temporality: 'cumulative',
          unit: 's',
          service: 'checkout',
          environment: 'staging',
          value: 0,
          count: 1,
          attributes: { 'http.response.status_code': '503' },
        },
        {
          metric_name: 'orders.processed',
          metric_type: 'sum',
          temporality: 'cumulative',
          unit: '',
          service: 'checkout',
          environment: 'staging',
          value: 5,
          count: 0,
          attributes: { region: 'eu' },
        },
      ]
      const rows = await queryRows<Record<string, unknown>>(store, query, { release })
      // The two histogram points differ only by attributes: compare them in a fixed order.
      const byStatus = (row: Record<string, unknown>): string =>
        `${String(row.metric_name)} ${JSON.stringify(row.attributes)}`
      expect(rows.sort((a, b) => byStatus(a).localeCompare(byStatus(b)))).toEqual(expected)
    })
  }

  it('writes a retried or replayed batch of metric points once (its deduplication token)', async () => {
    const release = `replay-${Date.now()}`
    const payload = await buildMetricPayload({
      resource: { 'service.name': 'checkout', 'service.version': release },
      temporality: 'delta',
      record: (meter) => meter.createCounter('orders.processed').add(3),
    })
    const value = Buffer.from(payload.protobuf)
    const decoded = KAFKA_FORMATS.otlp_metrics_proto.decode(value, {
      mapping,
      maxMessageBytes: 1 << 20,
    })
    const batch = {
      topic: 'replayed',
      partition: 0,
      token: `test-token-${release}`,
      runs: [
        {
          kind: 'message' as const,
          offset: 0n,
          timestampMs: '0',
          decoded,
          rows: 1,
          key: null,
          value,
          receivedAtMs: 0,
        },
      ],
    }
    const writeBatch = createBatchWriter(store)
    expect((await writeBatch(batch)).rowsByTable).toEqual({ metric_points: 1 })
    await writeBatch(batch)
    expect(
      await queryRows(
        store,
        `SELECT value FROM ${store.database}.metric_points WHERE release = {release:String}`,
        { release },
      ),
    ).toEqual([{ value: 3 }])
  })

  it('keeps the valid points of an otlp_metrics_json message and dead-letters each refused point and an undecodable message', async () => {
    const release = `partial-metrics-${Date.now()}`
    const nowNs = String(BigInt(Date.now()) * 1_000_000n)
    const gauge = (points: object[]) => ({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'checkout' } },
              { key: 'service.version', value: { stringValue: release } },
            ],
          },
          scopeMetrics: [{ metrics: [{ name: 'queue.depth', gauge: { dataPoints: points } }] }],
        },
      ],
    })
    const topic = await kafka.createTopic('partial_metrics')
    await kafka.producer.send({
      topic,
      messages: [
        {
          value: JSON.stringify(
            gauge([
              { timeUnixNano: nowNs, asInt: '7' },
              // No time: refused.
              { asInt: '8' },
            ]),
          ),
        },
        { value: '{"resourceMetrics": [' },
      ],
    })
    await ingestAll(topic, 'otlp_metrics_json')

    expect(
      await queryRows(
        store,
        `SELECT value FROM ${store.database}.metric_points WHERE release = {release:String}`,
        { release },
      ),
    ).toEqual([{ value: 7 }])
    const letters = await queryRows<{ offset: string; item_index: number; error: string }>(
      store,
      `SELECT toString(offset) AS offset, item_index, error
       FROM ${store.database}.dead_letters WHERE source = 'kafka' AND topic = {topic:String}
       ORDER BY offset, item_index`,
      { topic },
    )
    expect(letters).toHaveLength(2)
    expect(letters[0]).toMatchObject({ offset: '0', item_index: 1 })
    expect(letters[0]!.error).toMatch(/otlp_json metrics: .*timeUnixNano is missing/)
    expect(letters[1]).toMatchObject({ offset: '1', item_index: -1 })
  })
})
