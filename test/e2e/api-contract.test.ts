import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { RunningApp } from '../../src/app.ts'
import { createApiServer } from '../../src/api/api-server.ts'
import { createAnalysesRepository } from '../../src/store/analyses-repository.ts'
import { createStoreCohortSource } from '../../src/store/store-cohort-source.ts'
import { createVerdictService } from '../../src/verdicts/verdict-service.ts'
import { silentLogger } from '../../src/logger.ts'
import { createStoreFrozenMinutes } from '../../src/store/frozen-minutes-repository.ts'
import { createBlastRadius } from '../../src/verdicts/blast-radius.ts'
import { createStoreBlastRadiusSource } from '../../src/store/blast-radius-queries.ts'
import { createStoreBlastRadiusMinutes } from '../../src/store/blast-radius-repository.ts'
import { startTestApp } from '../helpers/app.ts'
import { buildTracePayload } from '../helpers/otel-payloads.ts'
import { sendTraffic } from '../helpers/traffic.ts'

const READ = 'read-token-0123456789abcdef'
const ADMIN = 'admin-token-0123456789abcdef'
const INGEST = 'ingest-token-0123456789abcdef'

let app: RunningApp
let replica: FastifyInstance
const nowMs = Date.now()
const trafficFromMs = nowMs - 10 * 60_000

beforeAll(async () => {
  app = await startTestApp({
    'auth.tokens': [`read:${READ}`, `admin+read:${ADMIN}`, `ingest:${INGEST}`],
  })
  // A second API over the same store, wired as `serve` wires another replica.
  replica = await createApiServer({
    verdicts: createVerdictService({
      repository: createAnalysesRepository(app.store),
      cohorts: createStoreCohortSource(app.store, silentLogger),
      now: Date.now,
      frozenMinutes: createStoreFrozenMinutes(app.store),
      blastRadius: createBlastRadius({
        source: createStoreBlastRadiusSource(app.store),
        store: createStoreBlastRadiusMinutes(app.store),
      }),
    }),
    isReady: () => Promise.resolve({ ready: true }),
    version: 'replica',
  })
  await replica.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await replica.close()
  await app.stop()
})

function api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`)
  return fetch(`${app.apiUrl}${path}`, { ...init, headers })
}

async function createAnalysis(body: object): Promise<Response> {
  return api('/api/v1/analyses', {
    method: 'POST',
    token: ADMIN,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describe('authentication', () => {
  it('answers 401 with a clear body when no token is sent', async () => {
    const response = await api('/api/v1/analyses')
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({
      error: { code: 'RH_API_UNAUTHORIZED', message: expect.stringMatching(/Bearer/) },
    })
  })

  it('answers 401 for an unknown token and 403 for a token without the scope', async () => {
    expect((await api('/api/v1/analyses', { token: 'x'.repeat(24) })).status).toBe(401)
    const forbidden = await api('/api/v1/analyses', {
      method: 'POST',
      token: READ,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(forbidden.status).toBe(403)
    expect(await forbidden.json()).toMatchObject({
      error: { code: 'RH_API_FORBIDDEN', message: expect.stringMatching(/admin scope/) },
    })
  })

  it('keeps health, readiness and the OpenAPI document public', async () => {
    expect((await api('/healthz')).status).toBe(200)
    expect((await api('/readyz')).status).toBe(200)
    expect((await api('/openapi.json')).status).toBe(200)
  })

  it('requires the ingest scope for OTLP', async () => {
    const body = buildTracePayload({
      service: 'auth',
      release: '1',
      spans: [{ name: 'x', kind: 'server' }],
    }).protobuf
    const send = (token: string) =>
      fetch(`${app.otlpHttpUrl}/v1/traces`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` },
      })
    expect((await send(READ)).status).toBe(403)
    expect((await send(INGEST)).status).toBe(200)
  })
})

describe('request validation', () => {
  it.each([
    [
      { environment: 'production', baseline: { release: '1' }, canary: { release: '2' } },
      /must have required property 'service'/,
    ],
    [
      {
        service: 's',
        baseline: { release: '1' },
        canary: { release: '2' },
        startTime: 'yesterday',
      },
      /startTime must match format "date-time"/,
    ],
    [{ service: 's', baseline: { release: '1' }, canary: { release: '1' } }, /same traffic/],
    [
      { service: 's', baseline: {}, canary: { release: '2' } },
      /baseline must NOT have fewer than 1 properties/,
    ],
    [
      { service: 's', baseline: { release: '1' }, canary: { release: '2' }, surprise: true },
      /must NOT have additional properties/,
    ],
    [
      { service: 's', baseline: { release: '1' }, canary: { release: '2' }, policy: { alpha: 7 } },
      /alpha/,
    ],
  ])('answers 400 naming the field for %j', async (body, message) => {
    const response = await createAnalysis(body)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      message,
    )
  })

  it('answers 404 for an unknown analysis and 400 for a replay time in the future', async () => {
    expect((await api('/api/v1/analyses/nope/verdict', { token: READ })).status).toBe(404)
    const created = (await (
      await createAnalysis({ service: 's', baseline: { release: '1' }, canary: { release: '2' } })
    ).json()) as { id: string }
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect(
      (await api(`/api/v1/analyses/${created.id}/verdict?at=${future}`, { token: READ })).status,
    ).toBe(400)
  })

  it('documents every route in the OpenAPI document', async () => {
    const document = (await (await api('/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, unknown>
    }
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/analyses',
        '/api/v1/analyses/{id}',
        '/api/v1/analyses/{id}/verdict',
        '/api/v1/analyses/{id}/verdicts',
        '/api/v1/flagger/rollout',
        '/api/v1/argo-rollouts/verdict',
      ]),
    )
  })
})

describe('policy versions over HTTP', () => {
  it('changes the policy as a new version with the admin scope, and answers 404 for an unknown analysis', async () => {
    const created = (await (
      await createAnalysis({
        service: 'versions',
        baseline: { release: '1' },
        canary: { release: '2' },
      })
    ).json()) as { id: string }
    const put = (id: string, token: string, body: object) =>
      api(`/api/v1/analyses/${id}/policy`, {
        method: 'PUT',
        token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await put(created.id, READ, { alpha: 0.05 })).status).toBe(403)
    expect((await put(created.id, ADMIN, { alpha: 7 })).status).toBe(400)
    const changed = await put(created.id, ADMIN, { alpha: 0.05 })
    expect(changed.status).toBe(200)
    expect(await changed.json()).toEqual({ id: created.id, version: 2 })
    const analysis = (await (
      await api(`/api/v1/analyses/${created.id}`, { token: READ })
    ).json()) as { version: number; policy: unknown }
    expect(analysis).toMatchObject({ version: 2, policy: { alpha: 0.05 } })
    expect((await put('no-such-analysis', ADMIN, {})).status).toBe(404)
  })
})

describe('self-instrumentation', () => {
  it('exposes ingest, writer and verdict metrics as Prometheus text to read tokens', async () => {
    await sendTraffic(app, {
      service: 'metrics',
      release: '1',
      requests: 10,
      failEvery: 0,
      fromMs: nowMs - 60_000,
      toMs: nowMs,
      token: INGEST,
    })
    expect((await api('/metrics')).status).toBe(401)
    const text = await (await api('/metrics', { token: READ })).text()
    expect(text).toMatch(/^rh_ingest_spans_total\{outcome="accepted"[^}]*\} \d+/m)
    expect(text).toMatch(/^rh_writer_batch_rows_count\b/m)
    expect(text).toMatch(/^rh_writer_queue_rows\b/m)
  })
})

describe('verdict replay', () => {
  it('gives the same verdict for the same time, however often asked, on any replica, whatever arrives later', async () => {
    const atMs = nowMs - 2 * 60_000
    const before = {
      service: 'replay',
      failEvery: 50,
      requests: 1_500,
      fromMs: trafficFromMs,
      toMs: atMs - 60_000,
      token: INGEST,
    }
    await sendTraffic(app, { ...before, release: 'a' })
    await sendTraffic(app, { ...before, release: 'b', failEvery: 10 })
    const created = (await (
      await createAnalysis({
        service: 'replay',
        baseline: { release: 'a' },
        canary: { release: 'b' },
        startTime: new Date(trafficFromMs - 60_000).toISOString(),
      })
    ).json()) as { id: string }

    const path = `/api/v1/analyses/${created.id}/verdict?at=${new Date(atMs).toISOString()}`
    const ask = async (baseUrl: string) =>
      (await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${READ}` } })).json()
    const replicaUrl = `http://127.0.0.1:${(replica.server.address() as { port: number }).port}`
    const first = (await ask(app.apiUrl)) as { decision: string; evaluatedAt: string }
    expect(first.evaluatedAt).toBe(new Date(atMs).toISOString())

    // Spans stamped after `at` must not change the verdict at `at`.
    await sendTraffic(app, {
      ...before,
      release: 'b',
      failEvery: 2,
      fromMs: atMs + 1,
      toMs: nowMs,
      token: INGEST,
    })
    expect(await ask(app.apiUrl)).toEqual(first)
    expect(await ask(replicaUrl)).toEqual(first)
  })
})
