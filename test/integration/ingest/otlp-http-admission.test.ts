import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import { decodePartialSuccess, decodeStatus } from '../../helpers/otlp-status.ts'
import { queryRows } from '../../helpers/store.ts'

const MAX_BODY_BYTES = 200_000
const TOKEN = 'ingest-token-0123456789abcdef'

function payload(release: string, spans: number, spanIdSeed = 0) {
  return buildTracePayload({
    service: 'admission',
    release,
    spans: Array.from({ length: spans }, (_, index) => ({
      name: `GET /item/${spanIdSeed + index}`,
      kind: 'server' as const,
    })),
  })
}

/**
 * Sends only the head of a POST declaring `contentLength` body bytes, never the body, and
 * resolves with the raw answer: an answer at all proves the request was judged before its
 * body was read.
 */
function sendHeadOnly(url: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(answer)
      }
    })
    socket.on('error', reject)
    const head = Object.entries({ host: `${hostname}:${port}`, ...headers })
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')
    socket.write(`POST /v1/traces HTTP/1.1\r\n${head}\r\n\r\n`)
  })
}

async function stored(release: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.spans WHERE release = {release:String}`,
    { release },
  )
  return Number(row?.n)
}

let app: RunningApp
beforeAll(async () => {
  // A budget of one body, and a writer that keeps a batch pending for a while: the first
  // request holds the budget while the others arrive.
  app = await startTestApp({
    'otlp.http.maxBodyBytes': MAX_BODY_BYTES,
    'otlp.maxInFlightBytes': MAX_BODY_BYTES,
    'writer.flushIntervalMs': 1_500,
    'auth.tokens': [`ingest:${TOKEN}`],
  })
})
afterAll(() => app.stop())

const headers = {
  'content-type': 'application/x-protobuf',
  authorization: `Bearer ${TOKEN}`,
}

describe('OTLP/HTTP admission', () => {
  it('refuses a body over the in-flight budget with 429 and Retry-After before reading it, then serves again', async () => {
    const first = fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers,
      body: payload('held', 50).protobuf,
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const answer = await sendHeadOnly(app.otlpHttpUrl!, {
      ...headers,
      'content-length': String(MAX_BODY_BYTES - 10),
    })
    expect(answer).toMatch(/^HTTP\/1\.1 429 /)
    expect(answer).toMatch(/\r\nretry-after: 1\r\n/i)
    expect(answer).toMatch(/\r\ncontent-type: application\/x-protobuf/i)
    expect((await first).status).toBe(200)

    const after = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers,
      body: payload('after', 5).protobuf,
    })
    expect(after.status).toBe(200)
    expect(await stored('after')).toBe(5)
  })

  it('refuses a declared body over the limit with 413 in the request encoding, before reading it', async () => {
    const answer = await sendHeadOnly(app.otlpHttpUrl!, {
      ...headers,
      'content-length': String(MAX_BODY_BYTES + 1),
    })
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toMatch(/\r\ncontent-type: application\/x-protobuf/i)
  })

  it('answers a protobuf request without a token with a protobuf UNAUTHENTICATED status', async () => {
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: payload('no-token', 1).protobuf,
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const status = decodeStatus(new Uint8Array(await response.arrayBuffer()))
    expect(status.code).toBe(16)
    expect(status.message).toMatch(/Bearer/)
  })

  it('answers an unsupported Content-Encoding with 415 in the request encoding', async () => {
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { ...headers, 'content-encoding': 'compress' },
      body: payload('compress', 1).protobuf,
    })
    expect(response.status).toBe(415)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    expect(decodeStatus(new Uint8Array(await response.arrayBuffer())).message).toMatch(
      /Content-Encoding "compress"/,
    )
  })
})

describe('OTLP/HTTP with a poison span among concurrent clients', () => {
  it('stores every good request and answers the poison one alone, with its reason', async () => {
    const good = Array.from({ length: 10 }, (_, i) =>
      fetch(`${app.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        headers,
        body: payload(`good-${i}`, 20, i * 100).protobuf,
      }),
    )
    const poisonBody = buildTracePayload({
      service: 'admission',
      release: 'poison',
      spans: [
        { name: 'GET /fine', kind: 'server' },
        { name: 'GET /from-2263', kind: 'server', startTimeUnixNano: 2n ** 63n + 1n },
      ],
    }).protobuf
    const poison = fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers,
      body: poisonBody,
    })
    const answers = await Promise.all([...good, poison])
    const bodies = await Promise.all(
      answers.map(async (answer) => new Uint8Array(await answer.arrayBuffer())),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(11).fill(200))
    for (let i = 0; i < 10; i++) {
      expect(bodies[i]).toHaveLength(0)
      expect(await stored(`good-${i}`)).toBe(20)
    }
    const partial = decodePartialSuccess(bodies[10]!)
    expect(partial?.rejectedSpans).toBe(1)
    expect(partial?.errorMessage).toMatch(/"GET \/from-2263".*not before 2100-01-01/)
    expect(partial?.errorMessage).not.toMatch(/good-|\/item\//)
    expect(await stored('poison')).toBe(1)
  })
})
