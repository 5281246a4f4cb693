import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildMetricPayload, type MetricPayload } from '../../helpers/metric-payloads.ts'
import { decodePartialSuccess, decodeStatus } from '../../helpers/otlp-status.ts'
import { queryRows } from '../../helpers/store.ts'

const MAX_BODY_BYTES = 256 * 1024
let app: RunningApp

beforeAll(async () => {
  app = await startTestApp({ 'otlp.http.maxBodyBytes': MAX_BODY_BYTES })
})
afterAll(() => app.stop())

/** A histogram of three requests and a counter, as the SDK exports them. */
function payload(release: string): Promise<MetricPayload> {
  return buildMetricPayload({
    resource: { 'service.name': 'cart', 'service.version': release },
    temporality: 'cumulative',
    record(meter) {
      const duration = meter.createHistogram('http.server.request.duration', { unit: 's' })
      duration.record(0.02, { 'http.response.status_code': 200 })
      duration.record(0.03, { 'http.response.status_code': 200 })
      duration.record(0.5, { 'http.response.status_code': 500 })
      meter.createCounter('cart.items').add(2)
    },
  })
}

async function send(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${app.otlpHttpUrl}/v1/metrics`, { method: 'POST', body, headers })
}

const protobufHeaders = { 'content-type': 'application/x-protobuf' }
const jsonHeaders = { 'content-type': 'application/json' }

async function storedPoints(release: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.metric_points WHERE release = {release:String}`,
    { release },
  )
  return Number(row?.n)
}

/** A JSON body with one valid gauge point and, when given, one more point `bad`. */
function jsonWith(release: string, bad?: Record<string, unknown>): string {
  const nowNs = String(BigInt(Date.now()) * 1_000_000n)
  const good = { timeUnixNano: nowNs, asDouble: 1 }
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'cart' } },
            { key: 'service.version', value: { stringValue: release } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              { name: 'queue.depth', gauge: { dataPoints: [good] } },
              ...(bad === undefined ? [] : [{ name: 'bad', ...bad }]),
            ],
          },
        ],
      },
    ],
  })
}

describe('OTLP/HTTP metrics (POST /v1/metrics)', () => {
  it('stores protobuf data points before answering 200 with an empty protobuf response', async () => {
    const response = await send((await payload('pb-1')).protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    expect(new Uint8Array(await response.arrayBuffer())).toHaveLength(0)
    expect(await storedPoints('pb-1')).toBe(3)
  })

  it('stores JSON data points and answers in JSON', async () => {
    const response = await send((await payload('json-1')).json, jsonHeaders)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(await storedPoints('json-1')).toBe(3)
  })

  it('accepts gzip-compressed bodies', async () => {
    const response = await send(gzipSync((await payload('gzip-1')).protobuf), {
      ...protobufHeaders,
      'content-encoding': 'gzip',
    })
    expect(response.status).toBe(200)
    expect(await storedPoints('gzip-1')).toBe(3)
  })

  it('answers an empty request with 200: no data points is a valid export', async () => {
    const response = await send(new Uint8Array(), protobufHeaders)
    expect(response.status).toBe(200)
  })

  const partials: { name: string; bad: Record<string, unknown>; message: RegExp }[] = [
    {
      name: 'an unspecified aggregation temporality',
      bad: {
        sum: {
          isMonotonic: true,
          dataPoints: [{ timeUnixNano: String(Date.now() * 1e6), asInt: '1' }],
        },
      },
      message: /aggregationTemporality unspecified/,
    },
    {
      name: 'a point without a time',
      bad: { gauge: { dataPoints: [{ asDouble: 1 }] } },
      message: /timeUnixNano is missing/,
    },
    {
      name: 'bucket counts that do not match the bounds',
      bad: {
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [
            { timeUnixNano: String(Date.now() * 1e6), bucketCounts: ['1'], explicitBounds: [1] },
          ],
        },
      },
      message: /one more count than bounds/,
    },
    {
      name: 'an exponential scale out of range',
      bad: {
        exponentialHistogram: {
          aggregationTemporality: 2,
          dataPoints: [{ timeUnixNano: String(Date.now() * 1e6), scale: 40 }],
        },
      },
      message: /scale 40 is outside/,
    },
    {
      name: 'a point older than the retention',
      bad: { gauge: { dataPoints: [{ timeUnixNano: '1000', asDouble: 1 }] } },
      message: /older than the 3650-day retention/,
    },
  ]

  for (const { name, bad, message } of partials) {
    it(`answers partial success naming the point for ${name}, and keeps the valid one`, async () => {
      const release = `partial-${partials.findIndex((entry) => entry.name === name)}`
      const response = await send(jsonWith(release, bad), jsonHeaders)
      expect(response.status).toBe(200)
      const answer = (await response.json()) as {
        partialSuccess: { rejectedDataPoints: string; errorMessage: string }
      }
      expect(answer.partialSuccess.rejectedDataPoints).toBe('1')
      expect(answer.partialSuccess.errorMessage).toMatch(message)
      expect(await storedPoints(release)).toBe(1)
    })
  }

  it('answers protobuf partial success (rejected_data_points) for a protobuf request', async () => {
    const built = await buildMetricPayload({
      resource: {
        'service.name': 'cart',
        'service.version': 'attrs-1',
        ...Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`attr.${i}`, i])),
      },
      temporality: 'delta',
      record: (meter) => meter.createCounter('c').add(1),
    })
    const response = await send(built.protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    const partial = decodePartialSuccess(new Uint8Array(await response.arrayBuffer()))
    expect(partial?.rejectedSpans).toBe(1)
    expect(partial?.errorMessage).toMatch(/resource has 6\d\d attributes/)
    expect(await storedPoints('attrs-1')).toBe(0)
  })

  const badRequests: {
    name: string
    body: () => Promise<Uint8Array | string> | Uint8Array | string
    headers: Record<string, string>
    status: number
    message: RegExp
  }[] = [
    {
      name: 'garbage bytes',
      body: () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]),
      headers: protobufHeaders,
      status: 400,
      message: /protobuf/i,
    },
    {
      name: 'truncated protobuf',
      body: async () => (await payload('never')).protobuf.slice(0, 60),
      headers: protobufHeaders,
      status: 400,
      message: /truncated/,
    },
    {
      name: 'invalid UTF-8 in a protobuf metric name',
      // ResourceMetrics { ScopeMetrics { Metric { name: 0xc3 0x28 } } }
      body: () => new Uint8Array([0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x0a, 0x02, 0xc3, 0x28]),
      headers: protobufHeaders,
      status: 400,
      message: /invalid UTF-8 .* in Metric/,
    },
    {
      name: 'a gzip body not declared as gzip',
      body: async () => gzipSync((await payload('never')).protobuf),
      headers: protobufHeaders,
      status: 400,
      message: /Content-Encoding: gzip/,
    },
    {
      name: 'invalid JSON',
      body: () => '{"resourceMetrics": [',
      headers: jsonHeaders,
      status: 400,
      message: /JSON/,
    },
    {
      name: 'JSON of the wrong shape',
      body: () => '{"resourceMetrics": [{"scopeMetrics": [{"metrics": {"no": "list"}}]}]}',
      headers: jsonHeaders,
      status: 400,
      message: /resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics must be an array/,
    },
    {
      name: 'a JSON count that is not a uint64',
      body: () =>
        jsonWith('never', {
          histogram: { aggregationTemporality: 2, dataPoints: [{ count: -1 }] },
        }),
      headers: jsonHeaders,
      status: 400,
      message: /metrics\[1\]\.histogram\.dataPoints\[0\]\.count must be an integer string/,
    },
    {
      name: 'invalid UTF-8 in JSON',
      body: () => new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      headers: jsonHeaders,
      status: 400,
      message: /UTF-8/,
    },
    {
      name: 'a wrong content type',
      body: () => 'hello',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      message: /application\/x-protobuf or application\/json/,
    },
    {
      name: 'an oversized body',
      body: () => new Uint8Array(MAX_BODY_BYTES + 1),
      headers: protobufHeaders,
      status: 413,
      message: /maxBodyBytes/,
    },
    {
      name: 'a gzip bomb',
      body: () => gzipSync(new Uint8Array(64 * 1024 * 1024)),
      headers: { ...protobufHeaders, 'content-encoding': 'gzip' },
      status: 413,
      message: /inflates past/,
    },
  ]

  for (const bad of badRequests) {
    it(`answers ${bad.status} with a clear google.rpc.Status for ${bad.name}`, async () => {
      const response = await send(await bad.body(), bad.headers)
      expect(response.status).toBe(bad.status)
      const isProtobuf = response.headers.get('content-type') === 'application/x-protobuf'
      const status = isProtobuf
        ? decodeStatus(new Uint8Array(await response.arrayBuffer()))
        : ((await response.json()) as { code: number; message: string })
      expect(status.message).toMatch(bad.message)
      expect(status.code).toBe(bad.status === 400 ? 3 : status.code)
      expect(status.code).toBeGreaterThan(0)
    })
  }

  it('keeps serving metrics and traces, and keeps everything accepted, after the bad input', async () => {
    const response = await send((await payload('after-bad')).protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    expect(await storedPoints('pb-1')).toBe(3)
    expect(await storedPoints('after-bad')).toBe(3)
    const traces = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      body: '{}',
      headers: jsonHeaders,
    })
    expect(traces.status).toBe(200)
  })
})
