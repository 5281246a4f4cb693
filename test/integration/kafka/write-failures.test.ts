import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import {
  createFetchDecoder,
  type FetchDecoder,
} from '../../../src/ingest/kafka/formats/fetch-decoder.ts'
import { createKafkaIngest } from '../../../src/ingest/kafka/index.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createFaultyStore, type InsertFault } from '../../helpers/kafka-faults.ts'
import { expectedChecksum, produceStream, storedChecksum } from '../../helpers/kafka-streams.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { createMigratedTestStore, queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)
const PARTITIONS = 2
const EVENTS = 3_000

describe.skipIf(kafkaUnavailable())('Kafka ingestion when ClickHouse writes fail', () => {
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

  /** A fresh topic holding EVENTS json events whose ids start with the returned prefix. */
  async function produceEvents(name: string): Promise<{ topic: string; prefix: string }> {
    const topic = await kafka.createTopic(name, PARTITIONS)
    const prefix = `${uniqueName(name)}-`
    await produceStream(kafka.producer, {
      topic,
      partitions: PARTITIONS,
      prefix,
      count: EVENTS,
      batchSize: 500,
      intervalMs: 0,
    })
    return { topic, prefix }
  }

  const trials: readonly InsertFault[][] = [
    ['after-write', 'before-write'],
    ['before-write', 'after-write'],
    ['after-write'],
  ]
  trials.forEach((faults, trial) => {
    it(`commits nothing while writes fail (${faults.join(', then ')}), then stores every event once (trial ${trial + 1})`, async () => {
      const { topic, prefix } = await produceEvents('failing_writes')
      const faulty = createFaultyStore(store, 'events')
      const config = testKafkaConfig({ [topic]: 'json' }, { maxBatchRows: 400 })
      const ingest = createKafkaIngest({ store: faulty.store, config, mapping })
      faulty.inject(faults[0]!)
      await ingest.start()
      try {
        for (const fault of faults) {
          faulty.inject(fault)
          const failedBefore = ingest.metrics().writeFailures
          await waitFor(
            () => (ingest.metrics().writeFailures >= failedBefore + 2 ? true : undefined),
            { what: `two failed batch writes with ${fault}` },
          )
          const committed = await kafka.committedOffsets(config.groupId, topic)
          expect([...committed.values()].every((offset) => offset < 0n)).toBe(true)
        }
        faulty.inject('none')
        await waitFor(
          async () => ((await kafka.isFullyCommitted(config.groupId, topic)) ? true : undefined),
          { what: `all of ${topic} committed`, timeoutMs: 60_000 },
        )
      } finally {
        await ingest.stop()
      }

      expect(faulty.failedInserts).toBeGreaterThanOrEqual(2 * faults.length)
      expect(await storedChecksum(store, prefix)).toEqual(
        await expectedChecksum(store, prefix, EVENTS),
      )
    })
  })

  it('counts spans whose write was applied but reported failed once, in the spans table and in the per-minute rollup', async () => {
    const topic = await kafka.createTopic('failing_spans')
    const release = uniqueName('rollup')
    const startTimeUnixNano = BigInt(Date.now()) * 1_000_000n
    const payload = buildTracePayload({
      service: 'checkout',
      release,
      spans: [
        { name: 'GET /cart', kind: 'server', startTimeUnixNano, flags: { 'new-cart': 'on' } },
        { name: 'GET /cart', kind: 'server', startTimeUnixNano, error: 'boom' },
      ],
    })
    await kafka.producer.send({ topic, messages: [{ value: Buffer.from(payload.protobuf) }] })
    const faulty = createFaultyStore(store, 'spans')
    const config = testKafkaConfig({ [topic]: 'otlp_proto' })
    const ingest = createKafkaIngest({ store: faulty.store, config, mapping })
    faulty.inject('after-write')
    await ingest.start()
    try {
      await waitFor(() => (ingest.metrics().writeFailures >= 2 ? true : undefined))
      faulty.inject('none')
      await waitFor(
        async () => ((await kafka.isFullyCommitted(config.groupId, topic)) ? true : undefined),
        { what: `all of ${topic} committed` },
      )
    } finally {
      await ingest.stop()
    }

    const [spans] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.spans WHERE release = {release:String}`,
      { release },
    )
    expect(spans?.n).toBe('2')
    const rollup = await queryRows(
      store,
      `SELECT flag_key, flag_variant, toString(sum(requests)) AS requests, toString(sum(errors)) AS errors
       FROM ${store.database}.request_rollup_1m WHERE release = {release:String}
       GROUP BY flag_key, flag_variant ORDER BY flag_key`,
      { release },
    )
    expect(rollup).toEqual([
      { flag_key: '', flag_variant: '', requests: '2', errors: '1' },
      { flag_key: 'new-cart', flag_variant: 'on', requests: '1', errors: '0' },
    ])
  })

  it('fetches a batch again when its decoding thread fails, and stores every event once', async () => {
    const { topic, prefix } = await produceEvents('failing_decodes')
    // A test double for the one fault that cannot be caused on purpose: a decoding thread that
    // dies. The real decoder (on its worker thread) does everything else.
    const real = createFetchDecoder({ threads: 1 })
    let calls = 0
    const decoder: FetchDecoder = {
      decode: (format, values, options) =>
        ++calls === 2
          ? Promise.reject(new Error('the decoding thread exited'))
          : real.decode(format, values, options),
      close: () => real.close(),
    }
    const config = testKafkaConfig({ [topic]: 'json' }, { maxBatchRows: 400 })
    const ingest = createKafkaIngest({ store, config, mapping, decoder })
    await ingest.start()
    try {
      await waitFor(
        async () => ((await kafka.isFullyCommitted(config.groupId, topic)) ? true : undefined),
        { what: `all of ${topic} committed`, timeoutMs: 60_000 },
      )
    } finally {
      await ingest.stop()
    }

    expect(calls).toBeGreaterThan(2)
    expect(ingest.metrics().messages).toBeGreaterThanOrEqual(EVENTS)
    expect(await storedChecksum(store, prefix)).toEqual(
      await expectedChecksum(store, prefix, EVENTS),
    )
  })
})
