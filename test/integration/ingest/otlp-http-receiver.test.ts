import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { decodePartialSuccess, decodeStatus } from '../../helpers/otlp-status.ts'
import { queryRows } from '../../helpers/store.ts'

const MAX_BODY_BYTES = 256 * 1024
let app: RunningApp

beforeAll(async () => {
  app = await startTestApp({ 'otlp.http.maxBodyBytes': MAX_BODY_BYTES })
})
afterAll(() => app.stop())

function payload(release: string, spans = 3) {
  return buildTracePayload({
    service: 'cart',
    release,
    environment: 'staging',
    spans: Array.from({ length: spans }, (_, index) => ({
      name: 'GET /cart',
      kind: 'server' as const,
      flags: { 'fast-cart': index % 2 === 0 ? 'on' : 'off' },
    })),
  })
}

async function send(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${app.otlpHttpUrl}/v1/traces`, { method: 'POST', body, headers })
}

const protobufHeaders = { 'content-type': 'application/x-protobuf' }
const jsonHeaders = { 'content-type': 'application/json' }

async function storedSpans(release: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.spans WHERE release = {release:String}`,
    { release },
  )
  return Number(row?.n)
}

describe('OTLP/HTTP receiver', () => {
  it('stores protobuf spans before answering 200 with an empty protobuf response', async () => {
    const response = await send(payload('pb-1').protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    expect(new Uint8Array(await response.arrayBuffer())).toHaveLength(0)
    expect(await storedSpans('pb-1')).toBe(3)
  })

  it('stores JSON spans and answers in JSON', async () => {
    const response = await send(payload('json-1').json, {
      'content-type': 'application/json; charset=utf-8',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({})
    expect(await storedSpans('json-1')).toBe(3)
  })

  it('accepts gzip-compressed bodies', async () => {
    const response = await send(gzipSync(payload('gzip-1').protobuf), {
      ...protobufHeaders,
      'content-encoding': 'gzip',
    })
    expect(response.status).toBe(200)
    expect(await storedSpans('gzip-1')).toBe(3)
  })

  it('answers partial success naming the reason when some spans have ids of the wrong length', async () => {
    const body = JSON.parse(payload('ids-1').json) as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[]
    }
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans
    spans[0]!.traceId = 'abcd'
    const response = await send(JSON.stringify(body), jsonHeaders)
    expect(response.status).toBe(200)
    const answer = (await response.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string }
    }
    expect(answer.partialSuccess.rejectedSpans).toBe('1')
    expect(answer.partialSuccess.errorMessage).toMatch(/traceId/)
    expect(await storedSpans('ids-1')).toBe(2)
  })

  it('rejects spans older than the retention as partial success instead of letting the store drop them', async () => {
    const now = BigInt(Date.now()) * 1_000_000n
    const built = buildTracePayload({
      service: 'cart',
      release: 'old-1',
      spans: [
        { name: 'recent', kind: 'server', startTimeUnixNano: now },
        {
          name: 'ancient',
          kind: 'server',
          startTimeUnixNano: now - 4000n * 86_400n * 1_000_000_000n,
        },
      ],
    })
    const response = await send(built.json, jsonHeaders)
    const answer = (await response.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string }
    }
    expect(answer.partialSuccess.rejectedSpans).toBe('1')
    expect(answer.partialSuccess.errorMessage).toMatch(/older than the 3650-day retention/)
    expect(await storedSpans('old-1')).toBe(1)
  })

  it('answers protobuf partial success for a protobuf request with rejected spans', async () => {
    const tooMany = Object.fromEntries(
      Array.from({ length: 600 }, (_, index) => [`attr.${index}`, index]),
    )
    const built = buildTracePayload({
      service: 'cart',
      release: 'attrs-1',
      spans: [
        { name: 'ok', kind: 'server' },
        { name: 'absurd', kind: 'server', attributes: tooMany },
      ],
    })
    const response = await send(built.protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    const partial = decodePartialSuccess(new Uint8Array(await response.arrayBuffer()))
    expect(partial?.rejectedSpans).toBe(1)
    expect(partial?.errorMessage).toMatch(/attribute/i)
    expect(await storedSpans('attrs-1')).toBe(1)
  })

  const badRequests: {
    name: string
    body: () => Uint8Array | string
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
      body: () => payload('never').protobuf.slice(0, 40),
      headers: protobufHeaders,
      status: 400,
      message: /truncated|length|end/i,
    },
    {
      name: 'invalid JSON',
      body: () => '{"resourceSpans": [',
      headers: jsonHeaders,
      status: 400,
      message: /JSON/,
    },
    {
      name: 'JSON of the wrong shape',
      body: () => '{"resourceSpans": {"not": "a list"}}',
      headers: jsonHeaders,
      status: 400,
      message: /resourceSpans/,
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
      name: 'an unsupported content encoding',
      body: () => payload('never').protobuf,
      headers: { ...protobufHeaders, 'content-encoding': 'br' },
      status: 415,
      message: /Content-Encoding "br"/,
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
    {
      name: 'a body that is not gzip',
      body: () => 'not gzip',
      headers: { ...jsonHeaders, 'content-encoding': 'gzip' },
      status: 400,
      message: /gzip/,
    },
  ]

  for (const bad of badRequests) {
    it(`answers ${bad.status} with a clear google.rpc.Status for ${bad.name}`, async () => {
      const response = await send(bad.body(), bad.headers)
      expect(response.status).toBe(bad.status)
      const isProtobuf = response.headers.get('content-type') === 'application/x-protobuf'
      const status = isProtobuf
        ? decodeStatus(new Uint8Array(await response.arrayBuffer()))
        : ((await response.json()) as { code: number; message: string })
      expect(status.message).toMatch(bad.message)
      expect(status.code).toBeGreaterThan(0)
    })
  }

  it('keeps serving, and keeps everything accepted earlier, after all the bad input', async () => {
    const response = await send(payload('after-bad').protobuf, protobufHeaders)
    expect(response.status).toBe(200)
    expect(await storedSpans('pb-1')).toBe(3)
    expect(await storedSpans('json-1')).toBe(3)
    expect(await storedSpans('after-bad')).toBe(3)
  })

  it('answers 404 naming the endpoints it serves for other paths', async () => {
    const response = await fetch(`${app.otlpHttpUrl}/v1/profiles`, {
      method: 'POST',
      body: '{}',
      headers: jsonHeaders,
    })
    expect(response.status).toBe(404)
    const { message } = (await response.json()) as { message: string }
    expect(message).toMatch(/POST \/v1\/traces/)
    expect(message).toMatch(/POST \/v1\/logs/)
  })
})
