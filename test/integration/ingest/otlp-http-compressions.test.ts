import { deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import { compressFrameSync } from 'lz4-napi'
import { compress as snappyCompress } from 'snappyjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildLogsPayload } from '../../helpers/otel-log-payloads.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { decodeStatus } from '../../helpers/otlp-status.ts'
import { queryRows } from '../../helpers/store.ts'

/**
 * Every Content-Encoding the Collector's confighttp sends, through the running receiver:
 * each compressed with a standard library, each as a bomb.
 */
const MAX_BODY_BYTES = 256 * 1024
let app: RunningApp

beforeAll(async () => {
  app = await startTestApp({ 'otlp.http.maxBodyBytes': MAX_BODY_BYTES })
})
afterAll(() => app?.stop())

const COMPRESS: Readonly<Record<string, (data: Uint8Array) => Uint8Array>> = {
  gzip: (data) => gzipSync(data),
  deflate: (data) => deflateSync(data),
  zstd: (data) => zstdCompressSync(data),
  snappy: (data) => snappyCompress(Buffer.from(data)),
  lz4: (data) => compressFrameSync(Buffer.from(data)),
}

function post(path: string, body: Uint8Array, encoding: string): Promise<Response> {
  return fetch(`${app.otlpHttpUrl}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': encoding },
  })
}

async function count(table: string, release: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.${table} WHERE release = {release:String}`,
    { release },
  )
  return Number(row?.n)
}

describe('OTLP/HTTP compressions', () => {
  for (const [encoding, compress] of Object.entries(COMPRESS)) {
    it(`stores spans and logs sent with Content-Encoding: ${encoding}`, async () => {
      const spans = buildTracePayload({
        service: 'compressed',
        release: `spans-${encoding}`,
        spans: Array.from({ length: 20 }, () => ({ name: 'GET /a', kind: 'server' as const })),
      })
      const logs = buildLogsPayload({
        service: 'compressed',
        release: `logs-${encoding}`,
        logs: Array.from({ length: 5 }, (_, index) => ({ body: `line ${index}` })),
      })
      expect((await post('/v1/traces', compress(spans.protobuf), encoding)).status).toBe(200)
      expect((await post('/v1/logs', compress(logs.protobuf), encoding)).status).toBe(200)
      expect(await count('spans', `spans-${encoding}`)).toBe(20)
      expect(await count('logs', `logs-${encoding}`)).toBe(5)
    })

    it(`answers 413 at once for a ${encoding} bomb and keeps serving`, async () => {
      // Snappy packs at most ~21:1, so its bomb is smaller, still 16 times the limit.
      const bomb = compress(new Uint8Array((encoding === 'snappy' ? 4 : 32) * 1024 * 1024))
      expect(bomb.length).toBeLessThan(MAX_BODY_BYTES)
      const response = await post('/v1/traces', bomb, encoding)
      expect(response.status).toBe(413)
      const status = decodeStatus(new Uint8Array(await response.arrayBuffer()))
      expect(status.message).toMatch(/inflates past the limit of 262144 bytes/)
    })
  }

  it('answers 415 with a readable status for an encoding it does not take', async () => {
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    })
    expect(response.status).toBe(415)
    const status = (await response.json()) as { code: number; message: string }
    expect(status.message).toMatch(/"br" is not supported; send gzip, deflate/)
  })
})
