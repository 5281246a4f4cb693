import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiServer } from '../../../src/api/api-server.ts'
import { silentLogger } from '../../../src/logger.ts'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import { createStoreCohortSource } from '../../../src/store/store-cohort-source.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createVerdictService } from '../../../src/verdicts/verdict-service.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

// Two release-health API processes behind one load balancer, as two API instances with their
// own verdict services (nothing shared in memory) over one store.
const START_MS = Date.UTC(2026, 10, 22, 10, 0, 0)
let clockMs = START_MS
let store: Store
let first: FastifyInstance
let second: FastifyInstance

async function createInstance(name: string, clockSkewMs: number): Promise<FastifyInstance> {
  return createApiServer({
    verdicts: createVerdictService({
      repository: createAnalysesRepository(store),
      cohorts: createStoreCohortSource(store, silentLogger),
      // Two machines' clocks are never equal to the millisecond.
      now: () => clockMs + clockSkewMs,
      // No verdict cache: every request evaluates, as two processes whose caches differ.
      cacheMs: 0,
    }),
    isReady: () => Promise.resolve({ ready: true }),
    version: name,
  })
}

beforeAll(async () => {
  store = await createMigratedTestStore()
  first = await createInstance('first', 0)
  second = await createInstance('second', 1)
})
afterAll(async () => {
  await first.close()
  await second.close()
  await store.close()
})

async function createAnalysis(api: FastifyInstance): Promise<string> {
  const response = await api.inject({
    method: 'POST',
    url: '/api/v1/analyses',
    payload: {
      service: `two-instances-${Math.random().toString(36).slice(2)}`,
      baseline: { release: '1' },
      canary: { release: '2' },
      startTime: new Date(clockMs).toISOString(),
      // No traffic at all: `continue` until the maximum duration, `inconclusive` from then on.
      policy: { analysis: { minDurationSeconds: 60, maxDurationSeconds: 600 } },
    },
  })
  expect(response.statusCode).toBe(201)
  const { id } = response.json<{ id: string }>()
  return id
}

async function verdictFrom(api: FastifyInstance, id: string): Promise<string> {
  const response = await api.inject({ url: `/api/v1/analyses/${id}/verdict` })
  expect(response.statusCode).toBe(200)
  return response.json<{ decision: string }>().decision
}

async function recordedDecisions(id: string): Promise<string[]> {
  const rows = await queryRows<{ decision: string }>(
    store,
    `SELECT decision FROM ${store.database}.verdicts WHERE analysis_id = {id:String}
     ORDER BY evaluated_at, recorded_at`,
    { id },
  )
  return rows.map((row) => row.decision)
}

describe('two API instances over one store', () => {
  it('record one audit-trail entry per decision change, whichever instance serves each poll', async () => {
    const id = await createAnalysis(first)
    clockMs += 2 * 60_000
    // Polls alternate between the instances, and some arrive at both at once.
    expect(await verdictFrom(first, id)).toBe('continue')
    expect(await verdictFrom(second, id)).toBe('continue')
    expect(await Promise.all([verdictFrom(first, id), verdictFrom(second, id)])).toEqual([
      'continue',
      'continue',
    ])
    clockMs += 10 * 60_000
    expect(await Promise.all([verdictFrom(second, id), verdictFrom(first, id)])).toEqual([
      'inconclusive',
      'inconclusive',
    ])
    expect(await verdictFrom(first, id)).toBe('inconclusive')
    expect(await verdictFrom(second, id)).toBe('inconclusive')

    expect(await recordedDecisions(id)).toEqual(['continue', 'inconclusive'])
  })

  it('record a change seen first by one instance once, even when both evaluate it at the same moment', async () => {
    const id = await createAnalysis(second)
    clockMs += 2 * 60_000
    await Promise.all([verdictFrom(first, id), verdictFrom(second, id)])
    clockMs += 10 * 60_000
    await Promise.all([verdictFrom(first, id), verdictFrom(second, id), verdictFrom(first, id)])
    expect(await recordedDecisions(id)).toEqual(['continue', 'inconclusive'])
  })

  it('answer 409 to the second of two updates based on the same version, and keep the first', async () => {
    const id = await createAnalysis(first)
    const update = (api: FastifyInstance, alpha: number) =>
      api.inject({
        method: 'PUT',
        url: `/api/v1/analyses/${id}/policy?version=1`,
        payload: { alpha },
      })
    const fromFirst = await update(first, 0.02)
    const fromSecond = await update(second, 0.03)
    expect(fromFirst.statusCode).toBe(200)
    expect(fromFirst.json()).toEqual({ id, version: 2 })
    expect(fromSecond.statusCode).toBe(409)
    expect(fromSecond.json<{ error: { code: string } }>().error.code).toBe('RH_API_CONFLICT')

    const stored = await second.inject({ url: `/api/v1/analyses/${id}` })
    expect(stored.json()).toMatchObject({ version: 2, policy: { alpha: 0.02 } })
  })

  it('store one next version when two updates race past their version check, and report the other as a conflict', async () => {
    // The window between reading the version and writing the next one, made certain: two
    // repositories (two processes) write version 2 of the same analysis.
    const id = await createAnalysis(first)
    const current = await createAnalysesRepository(store).find(id)
    if (current === undefined) throw new Error('the analysis was not stored')
    const next = (alpha: number) => ({ ...current, version: 2, policy: { alpha } })
    const outcomes = await Promise.all([
      createAnalysesRepository(store).save(next(0.02)),
      createAnalysesRepository(store).save(next(0.03)),
    ])
    expect([...outcomes].sort()).toEqual(['conflict', 'saved'])
    const alpha = outcomes[0] === 'saved' ? 0.02 : 0.03

    const versions = await queryRows<{ version: string; policy: string }>(
      store,
      `SELECT version, policy FROM ${store.database}.analyses WHERE id = {id:String}
       ORDER BY version`,
      { id },
    )
    expect(versions.map((row) => [Number(row.version), JSON.parse(row.policy) as unknown])).toEqual(
      [
        [1, { analysis: { minDurationSeconds: 60, maxDurationSeconds: 600 } }],
        [2, { alpha }],
      ],
    )
    const stored = await second.inject({ url: `/api/v1/analyses/${id}` })
    expect(stored.json()).toMatchObject({ version: 2, policy: { alpha } })
  })

  it('give both callers the one analysis stored when both create it under the same natural key at once', async () => {
    // Controller adapters create an analysis under an id derived from its cohorts; two
    // processes answering the first polls of one rollout create it together.
    const service = () =>
      createVerdictService({
        repository: createAnalysesRepository(store),
        cohorts: createStoreCohortSource(store, silentLogger),
        now: () => clockMs,
      })
    const input = (alpha: number) => ({
      service: 'natural-key',
      baseline: { release: '1' },
      canary: { release: '2' },
      policy: { alpha },
    })
    const id = `natural-${Math.random().toString(36).slice(2)}`
    const [one, other] = await Promise.all([
      service().create(input(0.01), { id }),
      service().create(input(0.02), { id }),
    ])
    expect(other).toEqual(one)
    const rows = await queryRows<{ version: string }>(
      store,
      `SELECT version FROM ${store.database}.analyses WHERE id = {id:String}`,
      { id },
    )
    expect(rows).toHaveLength(1)
  })
})
