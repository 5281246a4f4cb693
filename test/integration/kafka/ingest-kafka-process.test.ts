import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorkerProcess } from '../../helpers/kafka-worker-process.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testBrokers,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { uniqueName, waitFor } from '../../helpers/store.ts'

const PARTITIONS = 2
const EVENTS = 300

/** The value of one Prometheus sample line, e.g. `rh_kafka_rows_written_total`, or undefined. */
function sample(
  metrics: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      continue
    return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe.skipIf(kafkaUnavailable())('the ingest-kafka process', () => {
  let kafka: TestKafka
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-kafka-health-'))
  beforeAll(async () => {
    kafka = await connectTestKafka()
  })
  afterAll(async () => {
    await kafka?.close()
    rmSync(dataPath, { recursive: true, force: true })
  })

  it('serves /healthz, /readyz and /metrics with per-partition lag, rows, dead letters and batch times, and warns about nothing', async () => {
    const topic = await kafka.createTopic('health', PARTITIONS)
    await kafka.producer.send({
      topic,
      messages: [
        ...Array.from({ length: EVENTS }, (_, n) => ({
          partition: n % PARTITIONS,
          value: releaseEvent({ id: `health-${n}` }),
        })),
        { partition: 0, value: 'not json' },
      ],
    })
    const groupId = uniqueName('rh_group')
    const worker = startWorkerProcess({
      env: {
        RH_KAFKA_BROKERS: testBrokers().join(','),
        RH_KAFKA_TOPICS: `${topic}:json`,
        RH_KAFKA_GROUP_ID: groupId,
        RH_KAFKA_MAX_BATCH_WAIT_MS: '100',
        RH_CLICKHOUSE_URL: '',
        RH_CLICKHOUSE_DATA_PATH: dataPath,
        RH_CLICKHOUSE_DATABASE: uniqueName('rh_health'),
      },
    })
    try {
      const url = await worker.healthUrl()
      expect((await fetch(`${url}/healthz`)).status).toBe(200)

      const ready = await waitFor(
        async () => {
          const response = await fetch(`${url}/readyz`)
          return response.status === 200 ? ((await response.json()) as object) : undefined
        },
        { what: `/readyz 200\n${worker.describe()}`, timeoutMs: 120_000 },
      )
      expect(ready).toMatchObject({ status: 'ready', consumer: 'consuming' })

      await waitFor(
        async () => ((await kafka.isFullyCommitted(groupId, topic)) ? true : undefined),
        {
          what: `all of ${topic} committed\n${worker.describe()}`,
          timeoutMs: 120_000,
        },
      )
      const metrics = await waitFor(
        async () => {
          const text = await (await fetch(`${url}/metrics`)).text()
          return sample(text, 'rh_kafka_rows_written_total') === EVENTS ? text : undefined
        },
        { what: `${EVENTS} rows in /metrics` },
      )
      expect(sample(metrics, 'rh_kafka_dead_letters_total')).toBe(1)
      for (let partition = 0; partition < PARTITIONS; partition++) {
        expect(
          sample(metrics, 'rh_kafka_consumer_lag', { topic, partition: String(partition) }),
        ).toBe(0)
      }
      expect(sample(metrics, 'rh_kafka_batch_write_duration_seconds_count')).toBeGreaterThanOrEqual(
        PARTITIONS,
      )
    } finally {
      expect(await worker.terminate()).toBe(0)
    }
    expect(worker.stderr).not.toContain('Warning')
  })
})
