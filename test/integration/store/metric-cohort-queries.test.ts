import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parsePolicy, type MetricsSource } from '../../../src/analysis/index.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import type { Metric, NumberPoint } from '../../../src/ingest/otlp/metrics-types.ts'
import { mapMetrics } from '../../../src/model/map-metrics.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { insertEncoded } from '../../../src/store/insert-rows.ts'
import { fetchMetricCohort, queryMetricMinutes } from '../../../src/store/metric-cohort-queries.ts'
import {
  createMetricPointsChunkBuilder,
  encodeMetricPointsBlock,
  METRIC_POINT_COLUMNS,
} from '../../../src/store/metric-points-block.ts'
import { createStoreCohortSource } from '../../../src/store/store-cohort-source.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { silentLogger } from '../../../src/logger.ts'
import { attributes } from '../../helpers/mixed-spans.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

const MINUTE_MS = 60_000
/** Ten minutes ago, on a minute. */
const T0_MS = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS
const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

/** Writes `metrics` of one instance of `release` as the ingest path would. */
async function write(
  release: string,
  instance: string,
  metrics: readonly Metric[],
  service = 'orders',
) {
  const builder = createMetricPointsChunkBuilder()
  mapMetrics(
    {
      resourceMetrics: [
        {
          resource: {
            attributes: attributes({
              'service.name': service,
              'service.version': release,
              'service.instance.id': instance,
            }),
          },
          scopeMetrics: [{ scope: { name: 'app', version: '' }, metrics }],
        },
      ],
    },
    toMappingOptions(DEFAULT_CONFIG),
    builder,
  )
  const chunk = builder.finish()
  await insertEncoded(store, {
    table: 'metric_points',
    columns: METRIC_POINT_COLUMNS,
    format: 'Native',
    body: encodeMetricPointsBlock([chunk]),
    rows: chunk.rows,
    deduplicationToken: uniqueName('token'),
  })
}

/** A counter point `seconds` after T0. */
function point(seconds: number, value: number, attrs: Record<string, string> = {}): NumberPoint {
  return {
    attributes: attributes(attrs),
    startTimeUnixNano: ns(T0_MS - 60_000),
    timeUnixNano: ns(T0_MS + seconds * 1000),
    flags: 0,
    value,
  }
}

const counter = (name: string, temporality: number, points: NumberPoint[]): Metric => ({
  name,
  unit: '{order}',
  data: { type: 'sum', temporality, isMonotonic: true, points },
})

const query = (release: string) => ({
  service: 'orders',
  environment: '',
  selector: { release },
  fromMs: T0_MS,
  toMs: T0_MS + 5 * MINUTE_MS,
})

const COUNTERS = parsePolicy({
  metrics: [{ name: 'error-rate', kind: 'error-rate' }],
  source: {
    kind: 'metrics',
    requests: { metric: 'orders.processed', where: { region: 'eu' } },
    errors: 'orders.failed',
    latency: null,
  },
}).source as MetricsSource

describe('metric cohorts', () => {
  it('counts requests and errors from a counter pair, summing instances, filtering attributes', async () => {
    // Instance a: cumulative, with a point before the window as its baseline.
    await write('1.0', 'a', [
      counter('orders.processed', 2, [
        point(-30, 1000, { region: 'eu' }),
        point(30, 1100, { region: 'eu' }),
        point(90, 1250, { region: 'eu' }),
        point(30, 99_999, { region: 'us' }),
      ]),
      counter('orders.failed', 2, [point(-30, 10), point(30, 12), point(90, 20)]),
    ])
    // Instance b: delta.
    await write('1.0', 'b', [
      counter('orders.processed', 1, [
        { ...point(30, 40, { region: 'eu' }), startTimeUnixNano: ns(T0_MS) },
        { ...point(90, 60, { region: 'eu' }), startTimeUnixNano: ns(T0_MS + 30_000) },
      ]),
      counter('orders.failed', 1, [{ ...point(90, 500), startTimeUnixNano: ns(T0_MS + 30_000) }]),
    ])
    const minutes = await queryMetricMinutes(store, query('1.0'), COUNTERS)
    expect(
      minutes.map(({ startMs, requests, errors }) => [startMs - T0_MS, requests, errors]),
    ).toEqual([
      [0, 100 + 40, 2],
      // Errors beyond the requests of a minute (counters out of step) are capped.
      [MINUTE_MS, 150 + 60, 150 + 60],
    ])
  })

  it('counts a retried export once', async () => {
    const metrics = [
      counter('orders.processed', 1, [
        { ...point(30, 7, { region: 'eu' }), startTimeUnixNano: ns(T0_MS) },
      ]),
    ]
    await write('retry', 'a', metrics)
    await write('retry', 'a', metrics)
    const minutes = await queryMetricMinutes(store, query('retry'), COUNTERS)
    expect(minutes.map((minute) => minute.requests)).toEqual([7])
  })

  it('leaves out gauges, up-down counters and points without a recorded value', async () => {
    await write('kinds', 'a', [
      {
        name: 'orders.processed',
        unit: '',
        data: { type: 'gauge', points: [point(30, 5, { region: 'eu' })] },
      },
      {
        name: 'orders.processed',
        unit: '',
        data: {
          type: 'sum',
          temporality: 1,
          isMonotonic: false,
          points: [point(31, 6, { region: 'eu' })],
        },
      },
      counter('orders.processed', 1, [{ ...point(32, 9, { region: 'eu' }), flags: 1 }]),
    ])
    expect(await queryMetricMinutes(store, query('kinds'), COUNTERS)).toEqual([])
  })

  it('gives the judge a snapshot through the cohort source when the policy reads metrics', async () => {
    const cohorts = createStoreCohortSource(store, silentLogger)
    const result = await cohorts.fetchCohort({
      ...query('1.0'),
      latencySamplesPerMinute: 100,
      source: COUNTERS,
    })
    expect(result).toEqual({
      ok: true,
      data: {
        requests: 350,
        errors: 212,
        minutes: [
          { startMs: T0_MS, requests: 140, errors: 2 },
          { startMs: T0_MS + MINUTE_MS, requests: 210, errors: 210 },
        ],
        latencyMs: [],
        values: {},
      },
    })
  })

  it('samples latency from histogram buckets, with the edges, only from complete minutes', async () => {
    const histogram = (seconds: number, counts: number[]): Metric => ({
      name: 'http.server.request.duration',
      unit: 's',
      data: {
        type: 'histogram',
        temporality: 1,
        points: [
          {
            attributes: attributes({ 'http.response.status_code': 200 }),
            startTimeUnixNano: ns(T0_MS + (seconds - 20) * 1000),
            timeUnixNano: ns(T0_MS + seconds * 1000),
            flags: 0,
            count: counts.reduce((a, b) => a + b, 0),
            sum: null,
            min: null,
            max: null,
            bucketCounts: counts,
            explicitBounds: [0.1, 0.5],
          },
        ],
      },
    })
    await write('latency', 'a', [histogram(30, [3, 1, 0])])
    await write('latency', 'a', [histogram(90, [0, 0, 2])])
    const snapshot = await fetchMetricCohort(
      store,
      { ...query('latency'), toMs: T0_MS + 100_000, latencySamplesPerMinute: 10 },
      parsePolicy({ source: 'metrics' }).source as MetricsSource,
    )
    expect(snapshot.requests).toBe(6)
    // Only the complete first minute is sampled: 3 in [0, 100] ms and 1 in (100, 500] ms.
    expect(snapshot.latencyBucketsMs).toEqual({
      lower: [0, 0, 0, 100],
      upper: [100, 100, 100, 500],
    })
    expect(snapshot.latencyMs).toHaveLength(4)
  })

  it('counts per minute as the SQL example for analysts does (docs/sql-examples.md)', async () => {
    const release = uniqueName('sql')
    const duration = (
      temporality: number,
      points: [seconds: number, startSeconds: number, status: number, count: number][],
    ): Metric => ({
      name: 'http.server.request.duration',
      unit: 's',
      data: {
        type: 'histogram',
        temporality,
        points: points.map(([seconds, startSeconds, status, count]) => ({
          attributes: attributes({ 'http.response.status_code': status }),
          startTimeUnixNano: ns(T0_MS + startSeconds * 1000),
          timeUnixNano: ns(T0_MS + seconds * 1000),
          flags: 0,
          count,
          sum: null,
          min: null,
          max: null,
          bucketCounts: [count],
          explicitBounds: [],
        })),
      },
    })
    // Cumulative, started in the window, with a reset at 150 s; delta from a second instance.
    const cumulative = duration(2, [
      [30, 0, 200, 10],
      [90, 0, 200, 25],
      [150, 140, 200, 4],
      [30, 0, 500, 1],
      [90, 0, 500, 3],
    ])
    await write(release, 'a', [cumulative], 'checkout')
    await write(release, 'a', [cumulative], 'checkout') // a retry
    await write(
      release,
      'b',
      [
        duration(1, [
          [40, 0, 200, 7],
          [100, 40, 503, 2],
        ]),
      ],
      'checkout',
    )

    const examples = readFileSync('docs/sql-examples.md', 'utf8')
    const example =
      /## Requests and server errors of each release per minute, from OTLP metrics[\s\S]*?```sql\n([\s\S]*?)```/.exec(
        examples,
      )![1]!
    const rows = await queryRows<{ minute: string; request_count: number; server_errors: number }>(
      store,
      example
        .replace('FROM metric_points', `FROM ${store.database}.metric_points`)
        .replace('WHERE service =', 'WHERE release = {release:String} AND service ='),
      { release },
    )
    const judged = await queryMetricMinutes(
      store,
      {
        service: 'checkout',
        environment: '',
        selector: { release },
        fromMs: T0_MS - MINUTE_MS,
        toMs: Date.now(),
      },
      parsePolicy({ source: 'metrics' }).source as MetricsSource,
    )
    const asCounts = (minute: { requests: number; errors: number }) => [
      minute.requests,
      minute.errors,
    ]
    expect(rows.map((row) => [Number(row.request_count), Number(row.server_errors)])).toEqual(
      judged.map(asCounts),
    )
    expect(judged.map(asCounts)).toEqual([
      [10 + 1 + 7, 1],
      [15 + 2 + 2, 2 + 2],
      [4, 0],
    ])
  })
})
