import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { watchExports } from '../../helpers/watched-exporter.ts'

/** A loopback port nothing listens on: taken, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('watchExports', () => {
  it('records a batch the SDK could not send, with the exporter’s error', async () => {
    const exporter = new OTLPTraceExporter({
      url: `http://127.0.0.1:${await closedPort()}/v1/traces`,
      timeoutMillis: 2_000,
    })
    const failures = watchExports(exporter)
    const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
    const tracer = provider.getTracer('test')
    tracer.startSpan('one').end()
    tracer.startSpan('two').end()
    await provider.forceFlush().catch(() => undefined)
    await provider.shutdown().catch(() => undefined)
    expect(failures).toEqual([expect.stringMatching(/^2 items: \S/)])
  })
})
