import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeMessages } from '../../../src/ingest/kafka/formats/decode-message.ts'
import { createFetchDecoder } from '../../../src/ingest/kafka/formats/fetch-decoder.ts'
import type { DecodedMessage } from '../../../src/ingest/kafka/formats/message-format.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { encodeEventsBlock } from '../../../src/store/events-block.ts'
import { encodeSpansBlock } from '../../../src/store/spans-block.ts'
import { releaseEvent } from '../../helpers/kafka.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'

const OPTIONS = { mapping: toMappingOptions(DEFAULT_CONFIG), maxMessageBytes: 100_000 }
const decoder = createFetchDecoder({ threads: 1 })
afterAll(() => decoder.close())

/** What a decoded message stores and dead-letters, as bytes: the same on either thread. */
function stored(message: DecodedMessage): unknown {
  if (message.kind === 'poison') return message
  const block =
    message.table === 'events'
      ? encodeEventsBlock([message])
      : message.table === 'spans'
        ? encodeSpansBlock([message.chunk])
        : undefined
  return {
    block: block === undefined ? undefined : Buffer.from(block).toString('hex'),
    rejected: message.rejectedItems.map((item) => ({
      ...item,
      payload: item.payload?.toString('base64'),
    })),
  }
}

describe('createFetchDecoder', () => {
  it('decodes a fetch of json events on its thread as decodeMessages does here, poison messages between them included', async () => {
    const values = [
      Buffer.from(releaseEvent({ id: 'a' })),
      null,
      Buffer.from('{"schemaVersion":'),
      Buffer.from(releaseEvent({ id: 'b', release: 'ünïcode' })),
      Buffer.from(releaseEvent({ id: 'c', flags: { 'new-checkout': 'on' } })),
    ]
    const onThread = await decoder.decode('json', values, OPTIONS)
    expect(onThread.map((message) => message.kind)).toEqual([
      'rows',
      'poison',
      'poison',
      'rows',
      'rows',
    ])
    expect(onThread.map(stored)).toEqual(decodeMessages('json', values, OPTIONS).map(stored))
  })

  it('hands back otlp_proto spans, and the payloads of rejected spans as Buffers', async () => {
    const payload = buildTracePayload({
      service: 'checkout',
      release: '1.5.0',
      spans: [
        { name: 'GET /', kind: 'server' },
        {
          name: 'bad',
          kind: 'server',
          attributes: Object.fromEntries(Array.from({ length: 8 }, (_, n) => [`a${n}`, 'x'])),
        },
      ],
    })
    const values = [Buffer.from(payload.protobuf)]
    // At most five attributes a span: the second is rejected on its own.
    const options = { ...OPTIONS, mapping: { ...OPTIONS.mapping, maxAttributesPerSpan: 5 } }
    const [onThread] = await decoder.decode('otlp_proto', values, options)
    const [here] = decodeMessages('otlp_proto', values, options)
    expect(stored(onThread!)).toEqual(stored(here!))
    const rejected = onThread?.kind === 'rows' ? onThread.rejectedItems : []
    expect(rejected).toHaveLength(1)
    expect(Buffer.isBuffer(rejected[0]?.payload)).toBe(true)
  })
})
