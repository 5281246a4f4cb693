import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { queryRows } from '../helpers/store.ts'

/**
 * Property-based requests against every route: whatever a client sends, the answer is a
 * 2xx or a 4xx with an error body, never a 5xx, never a hang; strings built to break SQL are
 * stored and compared as data.
 */
let app: RunningApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(() => app.stop())

const INJECTIONS = [
  "'; DROP TABLE spans; --",
  "1' OR '1'='1",
  '{service:String}',
  "x') UNION SELECT * FROM system.users --",
  "\\'; SELECT sleep(3); --",
  '\u0000\u0001',
  '🚀'.repeat(10),
]

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...INJECTIONS))
const selector = fc.record(
  { release: text, flag: fc.record({ key: text, variant: text }) },
  { requiredKeys: [] },
)
const anyJson = fc.jsonValue({ maxDepth: 3 })
const analysisBody = fc.oneof(
  fc.record(
    {
      service: text,
      environment: text,
      baseline: selector,
      canary: selector,
      startTime: fc.oneof(
        text,
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      ),
      policy: anyJson,
    },
    { requiredKeys: [] },
  ),
  anyJson,
)

async function request(method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${app.apiUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  })
}

async function expectHandled(response: Response): Promise<void> {
  expect(response.status, await response.clone().text()).toBeLessThan(500)
  if (response.status >= 400) {
    expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^RH_/)
  }
}

describe('the API under arbitrary requests', () => {
  it('answers every analysis creation, and the verdict of what it created, without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(analysisBody, async (body) => {
        const created = await request('POST', '/api/v1/analyses', JSON.stringify(body))
        await expectHandled(created)
        if (created.status === 201) {
          const { id } = (await created.json()) as { id: string }
          await expectHandled(await request('GET', `/api/v1/analyses/${id}/verdict`))
          await expectHandled(await request('GET', `/api/v1/analyses/${id}/verdicts`))
        }
      }),
      { numRuns: 60 },
    )
  })

  it('answers arbitrary ids, query strings and controller payloads without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, anyJson, async (id, value, payload) => {
        const encodedId = encodeURIComponent(id) || 'x'
        const encoded = encodeURIComponent(value)
        await expectHandled(
          await request('GET', `/api/v1/analyses/${encodedId}/verdict?at=${encoded}`),
        )
        await expectHandled(
          await request('GET', `/api/v1/analyses?service=${encoded}&limit=${encoded}`),
        )
        await expectHandled(
          await request(
            'GET',
            `/api/v1/argo-rollouts/verdict?service=${encoded}&environment=${encoded}&baselineRelease=${encoded}&canaryRelease=b`,
          ),
        )
        await expectHandled(
          await request('POST', '/api/v1/flagger/rollout', JSON.stringify(payload)),
        )
      }),
      { numRuns: 40 },
    )
  })

  it('stores SQL-breaking strings as plain data and leaves every table in place', async () => {
    for (const injection of INJECTIONS.slice(0, 5)) {
      const created = await request(
        'POST',
        '/api/v1/analyses',
        JSON.stringify({
          service: injection,
          baseline: { release: injection },
          canary: { flag: { key: injection, variant: 'on' } },
        }),
      )
      expect(created.status).toBe(201)
      const { id } = (await created.json()) as { id: string }
      const analysis = (await (await request('GET', `/api/v1/analyses/${id}`)).json()) as {
        service: string
      }
      expect(analysis.service).toBe(injection)
      expect((await request('GET', `/api/v1/analyses/${id}/verdict`)).status).toBe(200)
    }
    const tables = await queryRows<{ name: string }>(
      app.store,
      'SELECT name FROM system.tables WHERE database = {db:String}',
      { db: app.store.database },
    )
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['spans', 'analyses', 'verdicts']),
    )
  })
})
