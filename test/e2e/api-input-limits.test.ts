import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'

/**
 * Times the store cannot hold and bodies over the limit are the client's error, said as such
 * (issue 9.4): 400 naming the field and the range, 413 for a body too large; never a
 * retriable 503 that makes a controller try again forever.
 */
let app: RunningApp
beforeAll(async () => {
  app = await startTestApp()
})
afterAll(() => app.stop())

async function send(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const response = await fetch(`${app.apiUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
  })
  return { status: response.status, body: (await response.json()) as never }
}

const OUT_OF_RANGE = [
  '1969-12-31T23:59:59Z',
  '1900-01-01T00:00:00Z',
  '2262-04-12T00:00:00Z',
  '9999-12-31T23:59:59Z',
]
const cohorts = { service: 'checkout', baseline: { release: '1' }, canary: { release: '2' } }

describe('times outside what the store holds', () => {
  it.each(OUT_OF_RANGE)('refuses startTime %s of a new analysis with 400', async (startTime) => {
    const answer = await send('POST', '/api/v1/analyses', { ...cohorts, startTime })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatchObject({
      code: 'RH_API_INVALID_REQUEST',
      message: expect.stringMatching(/startTime.*1970-01-01T00:00:00.000Z.*2262-04-11/),
    })
  })

  it.each(OUT_OF_RANGE)(
    'refuses startTime %s on the Argo Rollouts poll with 400',
    async (startTime) => {
      const query = new URLSearchParams({
        service: 'checkout',
        environment: 'production',
        baselineRelease: '1',
        canaryRelease: '2',
        startTime,
      })
      const answer = await send('GET', `/api/v1/argo-rollouts/verdict?${query.toString()}`)
      expect(answer.status).toBe(400)
      expect(answer.body.error?.message).toMatch(/startTime/)
    },
  )

  it('refuses startTime out of range in Flagger metadata with 400', async () => {
    const answer = await send('POST', '/api/v1/flagger/rollout', {
      name: 'checkout',
      namespace: 'shop',
      checksum: 'old',
      metadata: {
        environment: 'production',
        baselineRelease: '1',
        canaryRelease: '2',
        startTime: '1901-01-01T00:00:00Z',
      },
    })
    expect(answer.status).toBe(400)
    expect(answer.body.error?.message).toMatch(/startTime/)
  })

  it('stores and returns any start inside the range, its edges included', async () => {
    for (const startTime of [
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2262-04-11T23:47:16.854Z',
    ]) {
      const created = await send('POST', '/api/v1/analyses', { ...cohorts, startTime })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const { id } = created.body as { id: string }
      const stored = await send('GET', `/api/v1/analyses/${id}`)
      expect(stored.body).toMatchObject({ startTime })
    }
  })

  it('refuses a replay time or a series window before 1970 with 400', async () => {
    const created = await send('POST', '/api/v1/analyses', cohorts)
    const id = (created.body as { id: string }).id
    const replay = await send('GET', `/api/v1/analyses/${id}/verdict?at=1960-01-01T00:00:00Z`)
    expect(replay.status).toBe(400)
    expect(replay.body.error?.message).toMatch(/"at"/)
    const series = await send(
      'GET',
      `/api/v1/analyses/${id}/series?from=1960-01-01T00:00:00Z&to=1960-01-02T00:00:00Z`,
    )
    expect(series.status).toBe(400)
    expect(series.body.error?.message).toMatch(/"from"/)
  })
})

describe('bodies over the limit', () => {
  const huge = { ...cohorts, policy: { padding: 'x'.repeat(2 * 1024 * 1024) } }

  it('answers 413 with its own code, not 400', async () => {
    const answer = await send('POST', '/api/v1/analyses', huge)
    expect(answer.status).toBe(413)
    expect(answer.body.error).toMatchObject({
      code: 'RH_API_BODY_TOO_LARGE',
      message: expect.stringMatching(/1048576 bytes/),
    })
  })

  it('answers 413 to a Flagger webhook too', async () => {
    const answer = await send('POST', '/api/v1/flagger/rollout', {
      name: 'checkout',
      namespace: 'shop',
      metadata: { padding: 'x'.repeat(2 * 1024 * 1024) },
    })
    expect(answer.status).toBe(413)
  })
})
