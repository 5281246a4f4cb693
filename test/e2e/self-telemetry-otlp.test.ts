import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { buildTracePayload } from '../helpers/otel-payloads.ts'
import { startServe, type ServeProcess } from '../helpers/serve-process.ts'
import { queryRows, waitFor } from '../helpers/store.ts'

/**
 * `release-health serve` configured only by the standard OTEL_* variables, as any
 * OpenTelemetry-instrumented program is: its traces go over OTLP/HTTP (protobuf) to another
 * release-health's own receiver, which stores them; its metrics go over OTLP/HTTP (JSON) to a
 * small loopback server that keeps what the real exporter sends.
 */
let receiver: RunningApp
let collector: Server
let serve: ServeProcess
const metricExports: { path: string; body: string }[] = []
const SERVICE = 'rh-under-test'

beforeAll(async () => {
  receiver = await startTestApp()
  collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      metricExports.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString() })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const { port } = collector.address() as { port: number }
  serve = await startServe({
    RH_CLICKHOUSE_DATA_PATH: mkdtempSync(join(tmpdir(), 'rh-otel-')),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.otlpHttpUrl ?? '',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics`,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: SERVICE,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=self-test',
  })
}, 120_000)

afterAll(async () => {
  serve?.child.kill('SIGTERM')
  await serve?.exited
  collector?.close()
  await receiver?.stop()
})

interface StoredSpan {
  name: string
  kind: string
  trace_id: string
  span_id: string
  parent_span_id: string
  environment: string
  span_attributes: Record<string, string>
}

describe('release-health’s own telemetry through the OpenTelemetry SDK', () => {
  it('traces its API requests with the store queries they make, and its ingest requests and batches', async () => {
    const ingest = await fetch(`${serve.otlpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: buildTracePayload({
        service: 'orders',
        release: '3.1.0',
        spans: [
          {
            name: 'GET /orders',
            kind: 'server',
            startTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
          },
        ],
      }).protobuf,
    })
    expect(ingest.status).toBe(200)
    expect((await fetch(`${serve.apiUrl}/api/v1/analyses?service=orders`)).status).toBe(200)

    const spans = await waitFor(
      async () => {
        const rows = await queryRows<StoredSpan>(
          receiver.store,
          `SELECT name, kind, trace_id, span_id, parent_span_id, environment, span_attributes
           FROM ${receiver.store.database}.spans WHERE service = {service:String}`,
          { service: SERVICE },
        )
        const names = new Set(rows.map((row) => row.name))
        return names.has('GET /api/v1/analyses') &&
          names.has('POST /v1/traces') &&
          names.has('write spans batch')
          ? rows
          : undefined
      },
      { timeoutMs: 30_000, what: 'release-health’s own spans in the receiving store' },
    )
    const request = spans.find((span) => span.name === 'GET /api/v1/analyses')!
    expect(request).toMatchObject({
      kind: 'server',
      environment: 'self-test',
      span_attributes: expect.objectContaining({
        'http.route': '/api/v1/analyses',
        'http.response.status_code': '200',
      }),
    })
    const query = spans.find(
      (span) => span.trace_id === request.trace_id && span.parent_span_id === request.span_id,
    )
    expect(query).toMatchObject({
      kind: 'client',
      span_attributes: expect.objectContaining({
        'db.system.name': 'clickhouse',
        'db.operation.name': 'SELECT',
      }),
    })
    const batch = spans.find((span) => span.name === 'write spans batch')!
    expect(Number(batch.span_attributes['rh.batch.rows'])).toBeGreaterThanOrEqual(1)
    expect(
      spans.some(
        (span) =>
          span.parent_span_id === batch.span_id &&
          span.span_attributes['db.operation.name'] === 'INSERT',
      ),
    ).toBe(true)
  })

  it('exports its metrics with the configured exporter and interval', async () => {
    const exported = await waitFor(
      () =>
        metricExports.find(
          (request) =>
            request.body.includes('"rh.ingest.spans"') &&
            request.body.includes('"http.server.request.duration"'),
        ),
      { timeoutMs: 30_000, what: 'an OTLP/JSON metrics export with the ingest counters' },
    )
    expect(exported.path).toBe('/v1/metrics')
    const body = JSON.parse(exported.body) as {
      resourceMetrics: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] }
      }[]
    }
    const resource = body.resourceMetrics[0]?.resource.attributes ?? []
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: SERVICE } })
  })
})
