import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeMetricsToColumns } from '../../../src/ingest/otlp/decode-metrics-columnar.ts'
import { decodeMetricsRequestJson } from '../../../src/ingest/otlp/decode-metrics-json.ts'
import type { Metric, MetricsRequest, NumberPoint } from '../../../src/ingest/otlp/metrics-types.ts'
import type { MappingOptions, MapSpansOptions } from '../../../src/model/map-spans.ts'
import { mapMetrics } from '../../../src/model/map-metrics.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { insertEncoded } from '../../../src/store/insert-rows.ts'
import {
  createMetricPointsChunkBuilder,
  encodeMetricPointsBlock,
  METRIC_POINT_COLUMNS,
  type MetricPointsChunk,
} from '../../../src/store/metric-points-block.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { attributes } from '../../helpers/mixed-spans.ts'
import { buildMetricPayload } from '../../helpers/metric-payloads.ts'
import { encodeMetricsRequest, type EncodeOptions } from '../../helpers/metric-protobuf.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const NOW_NS = BigInt(Date.now() - 3_600_000) * 1_000_000n

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

/** The columnar decoding of `protobuf` and the object mapping of `request`. */
function bothWays(
  protobuf: Uint8Array,
  request: MetricsRequest,
  mapping: MappingOptions,
  options: MapSpansOptions,
) {
  const columnar = createMetricPointsChunkBuilder()
  const objects = createMetricPointsChunkBuilder()
  return {
    columnar: {
      result: decodeMetricsToColumns(protobuf, mapping, columnar, options),
      chunk: columnar.finish(),
    },
    objects: { result: mapMetrics(request, mapping, objects, options), chunk: objects.finish() },
  }
}

async function storedRows(chunk: MetricPointsChunk): Promise<Record<string, unknown>[]> {
  const table = uniqueName('metric_points_copy')
  await store.client.command({
    query: `CREATE TABLE ${store.database}.${table} AS ${store.database}.metric_points`,
  })
  if (chunk.rows > 0) {
    await insertEncoded(store, {
      table,
      columns: METRIC_POINT_COLUMNS,
      format: 'Native',
      body: encodeMetricPointsBlock([chunk]),
      rows: chunk.rows,
      deduplicationToken: table,
    })
  }
  return queryRows(
    store,
    `SELECT * EXCEPT (resource_attributes, attributes, flags),
            mapSort(resource_attributes) AS resource, mapSort(attributes) AS attrs,
            mapSort(flags) AS flag_map, toString(series_id) AS series
     FROM ${store.database}.${table} ORDER BY metric_name, timestamp, series`,
  )
}

/**
 * Holds the protobuf columnar decoder and the object mapping to the same outcome and the same
 * Native block, byte for byte, and reads the rows back.
 */
async function expectSame(
  protobuf: Uint8Array,
  request: MetricsRequest,
  mapping = MAPPING,
  options: MapSpansOptions = {},
) {
  const { columnar, objects } = bothWays(protobuf, request, mapping, options)
  expect(columnar.result).toEqual(objects.result)
  expect(Buffer.from(encodeMetricPointsBlock([columnar.chunk])).toString('hex')).toBe(
    Buffer.from(encodeMetricPointsBlock([objects.chunk])).toString('hex'),
  )
  return { result: columnar.result, rows: await storedRows(columnar.chunk) }
}

async function expectSameEncoded(
  request: MetricsRequest,
  mapping = MAPPING,
  options: MapSpansOptions = {},
  encode: EncodeOptions = {},
) {
  return expectSame(encodeMetricsRequest(request, encode), request, mapping, options)
}

function number(n: number, fields: Partial<NumberPoint> = {}): NumberPoint {
  return {
    attributes: [],
    startTimeUnixNano: NOW_NS,
    timeUnixNano: NOW_NS + BigInt(n) * 1_000_000_000n,
    flags: 0,
    value: n,
    ...fields,
  }
}

function requestOf(resource: Record<string, unknown>, metrics: readonly Metric[]): MetricsRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: attributes(resource as never) },
        scopeMetrics: [{ scope: { name: 'edge', version: '9' }, metrics }],
      },
    ],
  }
}

const common = { attributes: [], startTimeUnixNano: NOW_NS, timeUnixNano: NOW_NS + 5n, flags: 0 }

describe('decodeMetricsToColumns', () => {
  it('maps what the OTel JS metrics SDK sends, protobuf and JSON, to the same bytes', async () => {
    for (const temporality of ['cumulative', 'delta'] as const) {
      for (const exponential of [false, true]) {
        const payload = await buildMetricPayload({
          resource: {
            'service.name': 'checkout',
            'service.version': '1.5.0',
            'deployment.environment.name': 'production',
            'service.instance.id': 'pod-a',
          },
          temporality,
          exponential,
          record(meter) {
            const duration = meter.createHistogram('http.server.request.duration', {
              unit: 's',
            })
            for (let i = 0; i < 200; i++) {
              duration.record(0.001 * (i + 1), {
                'http.request.method': 'GET',
                'http.response.status_code': i % 20 === 0 ? 503 : 200,
                'http.route': '/checkout',
                ...(i % 20 === 0 ? { 'error.type': '503' } : {}),
              })
            }
            meter.createCounter('orders', { unit: '{order}' }).add(7, { region: 'eu' })
            meter.createUpDownCounter('queue.depth').add(-3)
            meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'a' })
          },
        })
        const request = decodeMetricsRequestJson(payload.json)
        const { result, rows } = await expectSame(payload.protobuf, request)
        expect(result.rejected).toBe(0)
        expect(rows.length).toBe(result.accepted)
        const types = rows.map((row) => `${String(row.metric_name)}:${String(row.metric_type)}`)
        expect(new Set(types)).toEqual(
          new Set([
            `http.server.request.duration:${exponential ? 'exponential_histogram' : 'histogram'}`,
            'orders:sum',
            'queue.depth:sum',
            'temperature:gauge',
          ]),
        )
        const errors = rows.find(
          (row) =>
            row.metric_name === 'http.server.request.duration' &&
            (row.attrs as Record<string, string>)['http.response.status_code'] === '503',
        )
        expect(errors).toMatchObject({
          count: '10',
          temporality,
          service: 'checkout',
          release: '1.5.0',
          environment: 'production',
          unit: 's',
        })
      }
    }
  })

  it('maps every type, packed or not, with the resource first or last, to the same bytes', async () => {
    const request = requestOf({ 'service.name': 'edge', 'service.version': '2' }, [
      {
        name: 'g',
        unit: '1',
        data: { type: 'gauge', points: [number(1), number(2, { value: -1.5 })] },
      },
      {
        name: 's',
        unit: '',
        data: {
          type: 'sum',
          temporality: 2,
          isMonotonic: true,
          points: [number(3, { value: 2 ** 40 }), number(4, { value: -7, flags: 1 })],
        },
      },
      {
        name: 'h',
        unit: 'ms',
        data: {
          type: 'histogram',
          temporality: 1,
          points: [
            {
              ...common,
              count: 6,
              sum: 12.5,
              min: 0.5,
              max: 9,
              bucketCounts: [1, 2, 3],
              explicitBounds: [1, 5],
            },
            {
              ...common,
              count: 4,
              sum: null,
              min: null,
              max: null,
              bucketCounts: [],
              explicitBounds: [],
            },
          ],
        },
      },
      {
        name: 'e',
        unit: 's',
        data: {
          type: 'exponential_histogram',
          temporality: 2,
          points: [
            {
              ...common,
              count: 10,
              sum: 3,
              min: null,
              max: 1,
              scale: -3,
              zeroCount: 1,
              zeroThreshold: 1e-9,
              positive: { offset: -2, bucketCounts: [1, 300, 0, 5] },
              negative: { offset: 3, bucketCounts: [2] },
            },
          ],
        },
      },
      {
        name: 'q',
        unit: 'ms',
        data: {
          type: 'summary',
          points: [
            { ...common, count: 3, sum: 7, quantiles: [0.5, 0.99], quantileValues: [2, 4.5] },
          ],
        },
      },
      { name: 'no-data', unit: '', data: undefined },
    ])
    for (const encode of [{}, { unpacked: true }, { resourceLast: true }]) {
      const { result, rows } = await expectSameEncoded(request, MAPPING, {}, encode)
      expect(result.accepted).toBe(8)
      expect(rows).toHaveLength(8)
    }
  })

  it('takes release, environment and flags from point attributes as the mapping says', async () => {
    const mapping: MappingOptions = {
      ...MAPPING,
      releaseAttribute: 'app.version',
      environmentAttributes: ['env', 'deployment.environment.name'],
      flagAttributePrefix: 'feature.',
    }
    const points = [
      number(1, {
        attributes: attributes({
          'app.version': '',
          env: '',
          'deployment.environment.name': 'staging',
          'feature.dark-mode': 'on',
          'feature.': 'no key',
          'feature_flag.key': 'dark-mode',
          'feature_flag.variant': 'off',
        }),
      }),
      number(2, {
        attributes: attributes({
          'app.version': '2.0.0',
          env: 'prod',
          'feature_flag.key': 7n,
          'feature_flag.result.value': true,
        }),
      }),
      number(3, {
        attributes: [
          { key: 'dup', value: 'first' },
          { key: 'dup', value: 'last' },
          { key: 'feature.x', value: 'a' },
          { key: 'feature.x', value: 'b' },
          { key: 'feature_flag.key', value: '' },
          { key: 'list', value: ['a', 1n, { kvlist: [{ key: 'k', value: 2.5 }] }] },
        ],
      }),
    ]
    const metrics: Metric[] = [{ name: 'm', unit: '', data: { type: 'gauge', points } }]
    const { rows } = await expectSameEncoded(
      requestOf({ 'service.name': 'edge', 'host.name': 'h' }, metrics),
      mapping,
    )
    expect(rows.map((row) => [row.release, row.environment, row.flag_map])).toEqual([
      ['', 'staging', { 'dark-mode': 'off' }],
      ['2.0.0', 'prod', { '7': 'true' }],
      ['', '', { x: 'b' }],
    ])
    await expectSameEncoded(
      requestOf({ 'service.name': 'edge', 'app.version': '9', env: 'qa' }, metrics),
      mapping,
    )
  })

  it('refuses the same points for the same reasons, and keeps the others', async () => {
    const histogram = (bucketCounts: number[], explicitBounds: number[]) => ({
      ...common,
      count: 1,
      sum: null,
      min: null,
      max: null,
      bucketCounts,
      explicitBounds,
    })
    const request = requestOf({ 'service.name': 'refusals' }, [
      {
        name: 'g',
        unit: '',
        data: {
          type: 'gauge',
          points: [
            number(1),
            number(2, { timeUnixNano: 0n }),
            number(3, { timeUnixNano: 2n ** 63n }),
            // 2100-01-01: DateTime64(9) holds it, the DateTime TTL would wrap in 2106.
            number(3, { timeUnixNano: 4_102_444_800n * 1_000_000_000n }),
            number(4, { startTimeUnixNano: NOW_NS + 10n ** 12n }),
            number(5, { attributes: attributes({ a: '1', b: '2', c: '3' }) }),
            number(6, { timeUnixNano: NOW_NS - 10n ** 12n, startTimeUnixNano: 0n }),
          ],
        },
      },
      {
        name: 'unspecified',
        unit: '',
        data: { type: 'sum', temporality: 0, isMonotonic: true, points: [number(7)] },
      },
      {
        name: 'h',
        unit: '',
        data: {
          type: 'histogram',
          temporality: 2,
          points: [
            histogram([1, 0], [1]),
            histogram([1, 0], [1, 2]),
            histogram([1, 0, 0], [2, 1]),
            histogram([1, 0], [Number.NaN]),
          ],
        },
      },
      {
        name: 'e',
        unit: '',
        data: {
          type: 'exponential_histogram',
          temporality: 1,
          points: [
            {
              ...common,
              count: 0,
              sum: null,
              min: null,
              max: null,
              scale: 21,
              zeroCount: 0,
              zeroThreshold: 0,
              positive: { offset: 0, bucketCounts: [] },
              negative: { offset: 0, bucketCounts: [] },
            },
          ],
        },
      },
    ])
    const { result, rows } = await expectSameEncoded(
      request,
      { ...MAPPING, maxAttributesPerSpan: 2 },
      { retentionCutoffNs: NOW_NS - 1_000n, retentionDays: 3 },
    )
    expect(rows).toHaveLength(2)
    expect(result.rejected).toBe(11)
    expect(result.rejections.map((rejection) => rejection.index)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12,
    ])
    expect(result.rejectionMessage).toMatch(
      /^data point of metric "g" \(resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.dataPoints\[1\]\): timeUnixNano is missing/,
    )
    const messages = result.rejections.map((rejection) => rejection.message).join('\n')
    expect(messages).toMatch(/timeUnixNano 4102444800000000000 is not before 2100-01-01/)
    expect(messages).toMatch(/aggregationTemporality unspecified/)
    expect(messages).toMatch(/one more count than bounds/)
    expect(messages).toMatch(/must increase strictly/)
    expect(messages).toMatch(/not a finite number/)
    expect(messages).toMatch(/scale 21 is outside/)
    expect(messages).toMatch(/older than the 3-day retention/)
  })

  it('refuses every point of a resource with too many attributes', async () => {
    const request = requestOf({ a: 1n, b: 2n, c: 3n }, [
      { name: 'g', unit: '', data: { type: 'gauge', points: [number(1), number(2)] } },
    ])
    const { result } = await expectSameEncoded(request, { ...MAPPING, maxAttributesPerSpan: 2 })
    expect(result.rejected).toBe(2)
  })
})
