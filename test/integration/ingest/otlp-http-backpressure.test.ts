import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildMetricPayload } from '../../helpers/metric-payloads.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { queryRows, waitFor } from '../../helpers/store.ts'

// A long flush interval keeps the first request's rows queued, so the queue is full for the
// requests that follow it: saturation without relying on timing. The second request is sent
// once the first one's rows are seen waiting in the queue (`rh_writer_queue_rows`).
let app: RunningApp
beforeAll(async () => {
  app = await startTestApp({ 'writer.maxQueuedRows': 150, 'writer.flushIntervalMs': 3_000 })
})
afterAll(() => app.stop())

const hundredSpans = buildTracePayload({
  service: 'cart',
  release: 'bp-1',
  spans: Array.from({ length: 100 }, () => ({ name: 'GET /cart', kind: 'server' as const })),
}).protobuf

/** Resolves once at least `rows` rows wait in the writers' queues. */
async function queued(rows: number): Promise<void> {
  await waitFor(
    async () => {
      const text = await (await fetch(`${app.apiUrl}/metrics`)).text()
      const waiting = /^rh_writer_queue_rows\S* (\d+)/m.exec(text)
      return Number(waiting?.[1] ?? 0) >= rows ? true : undefined
    },
    { timeoutMs: 20_000, what: `${rows} rows to be queued` },
  )
}

function send(body: Uint8Array): Promise<Response> {
  return fetch(`${app.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf' },
  })
}

describe('OTLP/HTTP receiver under load', () => {
  it('answers 429 with Retry-After while the writer queue is full, and stores what it acknowledged', async () => {
    const first = send(hundredSpans)
    await queued(100)
    const second = await send(hundredSpans)
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await first).status).toBe(200)

    const [row] = await queryRows<{ n: string }>(
      app.store,
      `SELECT count() AS n FROM ${app.store.database}.spans WHERE release = 'bp-1'`,
    )
    expect(row?.n).toBe('100')
  })

  it('answers 413 for a single request larger than the whole queue, since retrying cannot help', async () => {
    const twoHundred = buildTracePayload({
      service: 'cart',
      release: 'bp-2',
      spans: Array.from({ length: 200 }, () => ({ name: 'GET /cart', kind: 'server' as const })),
    }).protobuf
    const response = await send(twoHundred)
    expect(response.status).toBe(413)
  })

  it('answers 429 for metrics while the metric points queue is full, and keeps taking spans', async () => {
    const hundredPoints = (
      await buildMetricPayload({
        resource: { 'service.name': 'cart', 'service.version': 'bp-metrics' },
        temporality: 'delta',
        record: (meter) => {
          const counter = meter.createCounter('cart.items')
          for (let i = 0; i < 100; i++) counter.add(1, { slot: i })
        },
      })
    ).protobuf
    const sendMetrics = () =>
      fetch(`${app.otlpHttpUrl}/v1/metrics`, {
        method: 'POST',
        body: hundredPoints,
        headers: { 'content-type': 'application/x-protobuf' },
      })
    const first = sendMetrics()
    await queued(100)
    const second = await sendMetrics()
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
    // Spans have a queue of their own.
    const spans = buildTracePayload({
      service: 'cart',
      release: 'bp-3',
      spans: [{ name: 'GET /cart', kind: 'server' as const }],
    }).protobuf
    expect((await send(spans)).status).toBe(200)
    expect((await first).status).toBe(200)

    const [row] = await queryRows<{ n: string }>(
      app.store,
      `SELECT count() AS n FROM ${app.store.database}.metric_points WHERE release = 'bp-metrics'`,
    )
    expect(row?.n).toBe('100')
  })
})
