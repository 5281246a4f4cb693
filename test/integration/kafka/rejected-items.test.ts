import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { createKafkaIngest, type KafkaIngestMetrics } from '../../../src/ingest/kafka/index.ts'
import { decodeTraceRequestJson } from '../../../src/ingest/otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import type { TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { toMappingOptions, type MappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createFaultyStore } from '../../helpers/kafka-faults.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { createMigratedTestStore, queryRows, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)

interface DeadLetterRow {
  offset: string
  item_index: number
  key: string
  payload_hex: string
  error: string
}

/** Three spans of one request, recent enough for the tables' TTL; the one named `bad` gets `attributes`. */
function threeSpans(release: string, attributes: Record<string, string> = {}) {
  const startTimeUnixNano = BigInt(Date.now()) * 1_000_000n
  return buildTracePayload({
    service: 'checkout',
    release,
    spans: [
      { name: 'GET /cart', kind: 'server', startTimeUnixNano },
      { name: 'bad', kind: 'internal', parentIndex: 0, startTimeUnixNano, attributes },
      { name: 'SELECT', kind: 'client', parentIndex: 0, startTimeUnixNano },
    ],
  })
}

function spansOf(request: TraceRequest) {
  return request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
}

describe.skipIf(kafkaUnavailable())('Kafka messages with some rejected spans', () => {
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

  async function ingestAll(
    config: Config['kafka'],
    topic: string,
    options: { mapping?: MappingOptions; store?: Store } = {},
  ): Promise<KafkaIngestMetrics> {
    const ingest = createKafkaIngest({
      store: options.store ?? store,
      config,
      mapping: options.mapping ?? mapping,
    })
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
      `SELECT toString(offset) AS offset, item_index, key, hex(payload) AS payload_hex, error
       FROM ${store.database}.dead_letters WHERE source = 'kafka' AND topic = {topic:String}
       ORDER BY offset, item_index`,
      { topic },
    )
  }

  async function storedSpanNames(release: string): Promise<string[]> {
    const rows = await queryRows<{ name: string }>(
      store,
      `SELECT name FROM ${store.database}.spans WHERE release = {release:String} ORDER BY name`,
      { release },
    )
    return rows.map((row) => row.name)
  }

  it('sends a span with a base64 trace id in an otlp_json message to the dead letters alone, with the reason, its index and its own bytes', async () => {
    const topic = await kafka.createTopic('partial_json')
    const release = `partial-json-${Date.now()}`
    const message = JSON.parse(threeSpans(release).json) as {
      resourceSpans: { scopeSpans: { spans: { name: string; traceId: string }[] }[] }[]
    }
    const spans = message.resourceSpans[0]!.scopeSpans[0]!.spans
    const index = spans.findIndex((span) => span.name === 'bad')
    const base64TraceId = Buffer.from(spans[index]!.traceId, 'hex').toString('base64')
    spans[index]!.traceId = base64TraceId
    await kafka.producer.send({
      topic,
      messages: [{ key: 'request-7', value: JSON.stringify(message) }],
    })

    const metrics = await ingestAll(testKafkaConfig({ [topic]: 'otlp_json' }), topic)

    expect(await storedSpanNames(release)).toEqual(['GET /cart', 'SELECT'])
    const letters = await deadLetters(topic)
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({ offset: '0', item_index: index, key: 'request-7' })
    expect(letters[0]!.error).toBe(
      `otlp_json: span "bad" (resourceSpans[0].scopeSpans[0].spans[${index}]): traceId must be 16 bytes as hex (OTLP/JSON ids are hex, not base64), got ${JSON.stringify(base64TraceId)}`,
    )
    // The payload is that span alone, an otlp_json message with its resource and scope.
    const item = decodeTraceRequestJson(Buffer.from(letters[0]!.payload_hex, 'hex'))
    expect(spansOf(item).map((span) => [span.name, span.traceId])).toEqual([['bad', base64TraceId]])
    expect(item.resourceSpans[0]!.resource.attributes).toContainEqual(
      expect.objectContaining({ key: 'service.version' }),
    )
    expect(metrics).toMatchObject({ rowsWritten: 2, rejectedRows: 1, deadLetters: 1 })
  })

  it('dead-letters each rejected span of otlp_proto messages once, also when the batch is written again after a lost answer', async () => {
    const topic = await kafka.createTopic('partial_proto')
    const release = `partial-proto-${Date.now()}`
    const tooMany = Object.fromEntries(Array.from({ length: 8 }, (_, n) => [`a${n}`, 'x']))
    const value = Buffer.from(threeSpans(release, tooMany).protobuf)
    const index = spansOf(decodeTraceRequestProtobuf(value)).findIndex(
      (span) => span.name === 'bad',
    )
    await kafka.producer.send({ topic, messages: [{ value }, { value }] })
    // The dead-letter insert is applied but answered with an error, once: the batch is
    // written again with the same token and ClickHouse must keep one copy.
    const faulty = createFaultyStore(store, 'dead_letters')
    faulty.inject('after-write')
    const healed = waitFor(
      () => {
        if (faulty.failedInserts === 0) return undefined
        faulty.inject('none')
        return true
      },
      { what: 'an injected dead-letter failure' },
    )
    await ingestAll(testKafkaConfig({ [topic]: 'otlp_proto' }), topic, {
      mapping: { ...mapping, maxAttributesPerSpan: 5 },
      store: faulty.store,
    })
    await healed

    expect(await storedSpanNames(release)).toEqual(['GET /cart', 'GET /cart', 'SELECT', 'SELECT'])
    const letters = await deadLetters(topic)
    expect(letters.map((letter) => [letter.offset, letter.item_index])).toEqual([
      ['0', index],
      ['1', index],
    ])
    for (const letter of letters) {
      expect(letter.error).toBe(
        `otlp_proto: span "bad" (resourceSpans[0].scopeSpans[0].spans[${index}]): 8 attributes, more than the limit of 5`,
      )
      const item = decodeTraceRequestProtobuf(Buffer.from(letter.payload_hex, 'hex'))
      expect(spansOf(item).map((span) => [span.name, span.attributes.length])).toEqual([['bad', 8]])
    }
  })
})
