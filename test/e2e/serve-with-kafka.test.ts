import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testKafkaConfig,
  type TestKafka,
} from '../helpers/kafka.ts'
import { queryRows, waitFor } from '../helpers/store.ts'

/** `serve` with brokers configured runs the Kafka workers beside the OTLP receiver. */
describe.skipIf(kafkaUnavailable())('serve with Kafka brokers configured', () => {
  let kafka: TestKafka
  let app: RunningApp
  let topic: string

  beforeAll(async () => {
    kafka = await connectTestKafka()
    topic = await kafka.createTopic('rh_serve_events')
    const config = testKafkaConfig({ [topic]: 'json' })
    app = await startTestApp({
      'kafka.brokers': config.brokers,
      'kafka.topics': config.topics,
      'kafka.groupId': config.groupId,
      'kafka.maxBatchWaitMs': config.maxBatchWaitMs,
    })
  })
  afterAll(async () => {
    await app?.stop()
    await kafka?.close()
  })

  it('stores release events from the topic and counts them on /metrics', async () => {
    await kafka.producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, index) => ({
        value: releaseEvent({ id: `e${index}`, release: '7.0.0', outcome: 'success' }),
      })),
    })
    const stored = await waitFor(
      async () => {
        const [row] = await queryRows<{ n: string }>(
          app.store,
          `SELECT count() AS n FROM ${app.store.database}.events WHERE release = '7.0.0'`,
        )
        return row?.n === '20' ? row.n : undefined
      },
      { timeoutMs: 60_000, what: 'the events to be stored' },
    )
    expect(stored).toBe('20')
    const metrics = await (await fetch(`${app.apiUrl}/metrics`)).text()
    expect(metrics).toMatch(/^rh_kafka_rows_written_total(\{[^}]*\})? 20$/m)
  })
})
