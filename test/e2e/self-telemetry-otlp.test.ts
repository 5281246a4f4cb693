import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { waitFor } from '../helpers/store.ts'

/**
 * release-health pushes its own metrics with the OpenTelemetry OTLP/HTTP exporter when
 * telemetry.otlpMetricsEndpoint is set. A loopback HTTP endpoint stands in for the collector
 * and records what the real exporter sends.
 */
let collector: Server
const received: { path: string; contentType: string; body: Buffer }[] = []
let app: RunningApp

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const { port } = collector.address() as { port: number }
  app = await startTestApp({
    'telemetry.otlpMetricsEndpoint': `http://127.0.0.1:${port}/v1/metrics`,
    'telemetry.exportIntervalMs': 200,
  })
})
afterAll(async () => {
  await app.stop()
  collector.close()
})

describe('self-telemetry over OTLP', () => {
  it('exports release-health metrics to the configured OTLP endpoint', async () => {
    await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans":[]}',
    })
    const export_ = await waitFor(
      () => received.find((request) => request.body.includes('rh.ingest.requests')),
      { timeoutMs: 20_000, what: 'an OTLP metrics export' },
    )
    expect(export_.path).toBe('/v1/metrics')
    expect(export_.body.toString()).toContain('release-health')
  })
})
