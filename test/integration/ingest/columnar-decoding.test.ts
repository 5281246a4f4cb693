import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeTracesToColumns } from '../../../src/ingest/otlp/decode-traces-columnar.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import type { Span, TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import {
  mapSpans,
  type MappingOptions,
  type MapSpansOptions,
} from '../../../src/model/map-spans.ts'
import { MAX_START_NS } from '../../../src/model/span-rules.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { insertEncoded } from '../../../src/store/insert-rows.ts'
import {
  createSpansChunkBuilder,
  encodeSpansBlock,
  type SpansChunk,
} from '../../../src/store/spans-block.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../../../src/store/table-columns.ts'
import { attributes, hex, mixedRequest } from '../../helpers/mixed-spans.ts'
import { buildRealisticPayload } from '../../helpers/otel-payloads.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'
import {
  anyValue,
  concat,
  encodeTraceRequest,
  event,
  field,
  keyValue,
  request,
  span as spanBody,
} from '../../unit/otlp/protobuf-writer.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
// Within the store's retention, so that what is written is kept.
const NOW_NS = BigInt(Date.now() - 3_600_000) * 1_000_000n

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

/** Both mappings of one protobuf body: from the wire into columns, and through objects. */
function bothWays(bytes: Uint8Array, mapping: MappingOptions, options: MapSpansOptions = {}) {
  const columnar = createSpansChunkBuilder()
  const objects = createSpansChunkBuilder()
  return {
    columnar: {
      result: decodeTracesToColumns(bytes, mapping, columnar, options),
      chunk: columnar.finish(),
    },
    objects: {
      result: mapSpans(decodeTraceRequestProtobuf(bytes), mapping, objects, options),
      chunk: objects.finish(),
    },
  }
}

async function storedRows(chunk: SpansChunk): Promise<Record<string, unknown>[]> {
  const table = uniqueName('spans_copy')
  await store.client.command({
    query: `CREATE TABLE ${store.database}.${table} AS ${store.database}.spans`,
  })
  if (chunk.rows > 0) {
    await insertEncoded(store, {
      table,
      columns: TABLE_COLUMNS.spans,
      format: 'Native',
      body: encodeSpansBlock([chunk]),
      rows: chunk.rows,
      deduplicationToken: table,
    })
  }
  const columns = TABLE_COLUMNS.spans.map((column) =>
    column.endsWith('attributes') || column === 'flags'
      ? `mapSort(${column}) AS ${column}`
      : column,
  )
  return queryRows(
    store,
    `SELECT ${columns.join(', ')} FROM ${store.database}.${table} ORDER BY span_id, trace_id`,
  )
}

/**
 * Holds the two mappings to the same outcome and the same Native block, byte for byte (the
 * dictionaries fill in the same order of first appearance), and reads the rows back.
 */
async function expectSameRows(bytes: Uint8Array, mapping = MAPPING, options: MapSpansOptions = {}) {
  const { columnar, objects } = bothWays(bytes, mapping, options)
  expect(columnar.result).toEqual(objects.result)
  expect(Buffer.from(encodeSpansBlock([columnar.chunk])).toString('hex')).toBe(
    Buffer.from(encodeSpansBlock([objects.chunk])).toString('hex'),
  )
  return { result: columnar.result, rows: await storedRows(columnar.chunk) }
}

function span(n: number, fields: Partial<Span> = {}): Span {
  return {
    traceId: hex(n + 1, 16),
    spanId: hex(n + 1, 8),
    parentSpanId: '',
    name: `op ${n}`,
    kind: 2,
    startTimeUnixNano: NOW_NS + BigInt(n),
    endTimeUnixNano: NOW_NS + BigInt(n) + 1_000n,
    attributes: [],
    events: [],
    status: { code: 0, message: '' },
    ...fields,
  }
}

function requestOf(resource: Record<string, unknown>, spans: readonly Span[]): TraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes(resource as never) },
        scopeSpans: [{ scope: { name: 'edge', version: '' }, spans }],
      },
    ],
  }
}

const flagEvent = (record: Record<string, unknown>, name = 'feature_flag.evaluation') => ({
  name,
  timeUnixNano: 0n,
  attributes: attributes(record as never),
})

describe('decodeTracesToColumns', () => {
  it('maps what the OTel JS SDK sends as the object decoder and mapSpans do', async () => {
    const { result } = await expectSameRows(buildRealisticPayload(1_000).protobuf)
    expect(result).toEqual({
      accepted: 1_000,
      rejected: 0,
      rejectionMessage: undefined,
      rejections: [],
    })
  })

  it('maps every attribute type, repeated keys, non-ASCII text and many resources alike', async () => {
    await expectSameRows(encodeTraceRequest(mixedRequest(3_000, 5, 11)))
  })

  it('reads a resource that comes after its spans on the wire', async () => {
    await expectSameRows(encodeTraceRequest(mixedRequest(300, 3, 12), { resourceLast: true }))
  })

  it('takes release, environment and flags from span attributes as the mapping says', async () => {
    const mapping: MappingOptions = {
      ...MAPPING,
      releaseAttribute: 'app.version',
      environmentAttributes: ['env', 'deployment.environment.name'],
      flagAttributePrefix: 'feature.',
    }
    const spans = [
      span(1, {
        attributes: attributes({
          'app.version': '',
          env: '',
          'deployment.environment.name': 'staging',
          'feature.dark-mode': 'on',
          'feature.': 'no key',
          'http.response.status_code': '503',
          'http.route': 42n,
        }),
        events: [flagEvent({ 'feature_flag.key': 'dark-mode', 'feature_flag.variant': 'off' })],
      }),
      span(2, {
        attributes: attributes({
          'app.version': '2.0.0',
          env: 'prod',
          'http.status_code': 500,
          'http.response.status_code': 503.0,
        }),
        events: [
          flagEvent({ 'feature_flag.key': 7n, 'feature_flag.result.value': true }),
          flagEvent({ 'feature_flag.key': '' }),
          flagEvent({ 'feature_flag.key': 'legacy' }, 'feature_flag'),
          flagEvent({ 'feature_flag.key': 'ignored' }, 'something.else'),
        ],
      }),
      span(3, {
        kind: 3,
        parentSpanId: '0000000000000000',
        attributes: [
          { key: 'http.status_code', value: '0503' },
          { key: 'dup', value: 'first' },
          { key: 'dup', value: 'last' },
          { key: 'feature.x', value: 'a' },
          { key: 'feature.x', value: 'b' },
        ],
        status: { code: 2, message: 'boom' },
      }),
      span(4, { kind: 9, status: { code: 7, message: '' }, parentSpanId: hex(99, 8) }),
      span(5, { kind: 5, parentSpanId: hex(98, 8), attributes: attributes({ env: 'x' }) }),
    ]
    await expectSameRows(
      encodeTraceRequest(requestOf({ 'service.name': 'edge', 'host.name': 'h' }, spans)),
      mapping,
    )
    await expectSameRows(encodeTraceRequest(requestOf({}, spans)), mapping)
  })

  it('refuses the same spans for the same reasons, and keeps the others', async () => {
    const spans = [
      span(1),
      span(2, { traceId: hex(1, 5) }),
      span(3, { traceId: '' }),
      span(4, { traceId: '0'.repeat(32) }),
      span(5, { spanId: hex(5, 9) }),
      span(6, { spanId: '0'.repeat(16) }),
      span(7, { parentSpanId: hex(7, 2) }),
      span(8, { startTimeUnixNano: 2n ** 63n, endTimeUnixNano: 2n ** 63n }),
      span(9, { startTimeUnixNano: 2n ** 64n - 1n, endTimeUnixNano: 2n ** 64n - 1n }),
      span(10, { endTimeUnixNano: NOW_NS }),
      span(11, { attributes: attributes({ a: '1', b: '2', c: '3' }) }),
      span(12, { startTimeUnixNano: NOW_NS - 10n ** 12n, endTimeUnixNano: NOW_NS }),
      span(13, { startTimeUnixNano: 2n ** 62n + 12_345n, endTimeUnixNano: 2n ** 62n + 2n ** 40n }),
      span(14, { startTimeUnixNano: MAX_START_NS, endTimeUnixNano: MAX_START_NS }),
      span(15, { startTimeUnixNano: MAX_START_NS - 1n, endTimeUnixNano: MAX_START_NS + 2n ** 40n }),
    ]
    const { result, rows } = await expectSameRows(
      encodeTraceRequest(requestOf({ 'service.name': 'refusals' }, spans)),
      { ...MAPPING, maxAttributesPerSpan: 2 },
      { retentionCutoffNs: NOW_NS - 1_000n, retentionDays: 3 },
    )
    expect(result.rejected).toBe(13)
    // The last nanosecond before 2100 is kept (and not dropped by a wrapped TTL).
    expect(rows.map((row) => row.timestamp)).toEqual([
      expect.stringMatching(/^20\d\d-/),
      '2099-12-31T23:59:59.999999999Z',
    ])
    const expiredOnly = await expectSameRows(
      encodeTraceRequest(requestOf({ 'service.name': 'refusals' }, [span(12, spans[11])])),
      MAPPING,
      { retentionCutoffNs: NOW_NS - 1_000n, retentionDays: 3 },
    )
    expect(expiredOnly.result.rejectionMessage).toMatch(/older than the 3-day retention/)
  })

  it('reads attributes at the one-byte length limits, out of field order and of every kind as mapSpans does', async () => {
    // Key and string lengths either side of 128, where a length takes a second byte, and
    // AnyValue lengths either side of it too (a string of 126 bytes makes a 128-byte AnyValue).
    const lengths = [1, 124, 125, 126, 127, 128, 200]
    const attributes = [
      ...lengths.map((n) => keyValue('k'.repeat(n), anyValue.string('v'.repeat(n)))),
      keyValue('empty', anyValue.string('')),
      keyValue('absent'),
      keyValue('ключ', anyValue.string('ascii value')),
      keyValue('ascii.key', anyValue.string('значение')),
      keyValue('http.response.status_code', anyValue.int(503)),
      keyValue('last.case.wins', concat(anyValue.string('text'), anyValue.int(5))),
      concat(field.message(2, anyValue.string('value first')), field.string(1, 'value.first')),
      concat(
        field.string(1, 'named.once'),
        field.string(1, 'named.twice'),
        field.message(2, anyValue.string('x')),
      ),
    ]
    const body = request({
      resourceAttributes: [keyValue('service.name', anyValue.string('limits'))],
      spans: [
        spanBody({ attributes, startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS + 1_000n }),
      ],
    })
    const { rows } = await expectSameRows(body)
    expect(rows[0]).toMatchObject({
      http_status_code: 503,
      span_attributes: expect.objectContaining({
        ['k'.repeat(128)]: 'v'.repeat(128),
        'value.first': 'value first',
        'named.twice': 'x',
        'last.case.wins': '5',
      }),
    })
  })

  it('skips the attributes of events other than flag evaluations, and reads a flag event whatever the order of its fields', async () => {
    const flagKey = (key: string) =>
      field.message(3, keyValue('feature_flag.key', anyValue.string(key)))
    const variant = (value: string) =>
      field.message(3, keyValue('feature_flag.result.variant', anyValue.string(value)))
    const events = [
      event('exception', [keyValue('exception.message', anyValue.string('boom'))]),
      event('exception', [keyValue('feature_flag.key', anyValue.string('not-a-flag'))]),
      // Attributes before the name.
      concat(
        flagKey('attributes-first'),
        variant('on'),
        field.string(2, 'feature_flag.evaluation'),
      ),
      // A name given twice: the last one counts, so this is a flag evaluation after all.
      concat(
        field.string(2, 'exception'),
        flagKey('renamed'),
        variant('b'),
        field.string(2, 'feature_flag.evaluation'),
      ),
    ]
    const body = request({
      resourceAttributes: [keyValue('service.name', anyValue.string('events'))],
      spans: [spanBody({ events, startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS + 1_000n })],
    })
    const { rows } = await expectSameRows(body)
    expect(rows[0]!.flags).toEqual({ 'attributes-first': 'on', renamed: 'b' })
  })

  it('refuses every span of a resource with too many attributes', async () => {
    const request = requestOf({ a: 1n, b: 2n, c: 3n }, [span(1), span(2)])
    const { result } = await expectSameRows(encodeTraceRequest(request), {
      ...MAPPING,
      maxAttributesPerSpan: 2,
    })
    expect(result.rejected).toBe(2)
  })
})
