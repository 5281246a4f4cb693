import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts'
import { createStore } from '../../src/store/store-client.ts'
import { buildTracePayload } from '../helpers/otel-payloads.ts'
import { runCli, startServe } from '../helpers/serve-process.ts'
import { queryRows } from '../helpers/store.ts'

describe('release-health serve, as a process', () => {
  it('writes a pending batch before exiting on SIGTERM, and answers its request 200', async () => {
    const dataPath = mkdtempSync(join(tmpdir(), 'rh-serve-'))
    // A flush interval far beyond the test: only the shutdown can write this batch.
    const serve = await startServe({
      RH_CLICKHOUSE_DATA_PATH: dataPath,
      RH_WRITER_FLUSH_INTERVAL_MS: '600000',
    })
    expect(serve.output()).toMatch(/OTLP\/HTTP receiver listening/)

    const body = buildTracePayload({
      service: 'orders',
      release: '3.1.0',
      spans: Array.from({ length: 25 }, () => ({
        name: 'POST /orders',
        kind: 'server' as const,
        startTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
      })),
    }).protobuf
    const pending = fetch(`${serve.otlpUrl}/v1/traces`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-protobuf' },
    })
    // No outside signal tells that the request reached the writer queue; on loopback a
    // 25-span request is decoded in well under a millisecond, so a pause stands in.
    await new Promise((resolve) => setTimeout(resolve, 300))
    serve.child.kill('SIGTERM')

    const response = await pending
    expect(response.status).toBe(200)
    // An empty ExportTraceServiceResponse: no span was rejected.
    expect((await response.arrayBuffer()).byteLength).toBe(0)
    expect(await serve.exited).toBe(0)
    expect(serve.output()).toMatch(/shutting down/)

    const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath })
    const [row] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.spans WHERE release = '3.1.0'`,
    )
    await store.close()
    expect(row?.n).toBe('25')
  })

  it('refuses to start with a clear error when the ClickHouse server URL does not answer', async () => {
    const run = runCli(['serve'], {
      RH_CLICKHOUSE_URL: 'http://127.0.0.1:9',
      RH_CLICKHOUSE_REQUEST_TIMEOUT_MS: '2000',
    })
    expect(await run.exited).not.toBe(0)
    expect(run.output()).toMatch(/ClickHouse \(http:\/\/127\.0\.0\.1:9\/\) did not answer/)
    expect(run.output()).toMatch(/RH_STORE_UNREACHABLE/)
  })

  it('names the key and the value of a bad setting', async () => {
    const run = runCli(['serve'], { RH_API_PORT: 'eighty' })
    expect(await run.exited).toBe(64)
    expect(run.output()).toMatch(
      /config key "api.port \(RH_API_PORT\)" must be a whole number from 0 to 65535, got "eighty"/,
    )
  })
})
