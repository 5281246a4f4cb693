import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { flaggerAnalysisId } from '../../src/api/adapters/flagger.ts'
import { startTestApp } from '../helpers/app.ts'

/**
 * Controllers get their own scope (issue 9.5): a `controller` token may have the Argo Rollouts
 * and Flagger adapters create analyses from templates or defaults and read verdicts; a `read`
 * token may not create anything; an inline Flagger policy needs `admin` too and is validated
 * as the API validates a policy. API 401s name the Bearer scheme (issue 9.6).
 */
const READ = 'read-token-0123456789abcdef'
const CONTROLLER = 'controller-token-0123456789abcdef'
const CONTROLLER_ADMIN = 'controller-admin-token-0123456789abcdef'
const ADMIN = 'admin-token-0123456789abcdef'

let app: RunningApp
beforeAll(async () => {
  app = await startTestApp({
    'auth.tokens': [
      `read:${READ}`,
      `controller:${CONTROLLER}`,
      `controller+admin:${CONTROLLER_ADMIN}`,
      `admin+read:${ADMIN}`,
    ],
  })
})
afterAll(() => app.stop())

interface Answer {
  status: number
  headers: Headers
  body: { error?: { code: string; message: string }; id?: string; decision?: string }
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${app.apiUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as never,
  }
}

const argoPath = (canary: string): string =>
  `/api/v1/argo-rollouts/verdict?service=checkout&environment=production&baselineRelease=1.0.0&canaryRelease=${canary}`

function flaggerBody(checksum: string, metadata: Record<string, string> = {}): object {
  return {
    name: 'checkout',
    namespace: 'shop',
    checksum,
    metadata: {
      environment: 'production',
      baselineRelease: '1.0.0',
      canaryRelease: '1.1.0',
      ...metadata,
    },
  }
}

async function analysisExists(id: string): Promise<boolean> {
  return (await call('GET', `/api/v1/analyses/${id}`, { token: READ })).status === 200
}

describe('the controller scope', () => {
  it('lets a controller token poll Argo Rollouts, creating the analysis', async () => {
    const answer = await call('GET', argoPath('2.0.0'), { token: CONTROLLER })
    expect(answer.status).toBe(200)
    expect(answer.body.decision).toBeDefined()
  })

  it('refuses the Argo Rollouts poll to a read token, and creates nothing', async () => {
    const answer = await call('GET', argoPath('3.0.0'), { token: READ })
    expect(answer.status).toBe(403)
    expect(answer.body.error).toMatchObject({
      code: 'RH_API_FORBIDDEN',
      message: expect.stringMatching(/controller scope/),
    })
    const analyses = await call('GET', '/api/v1/analyses?service=checkout', { token: READ })
    expect(JSON.stringify(analyses.body)).not.toContain('3.0.0')
  })

  it('lets a controller token call the Flagger hooks with its token in metadata', async () => {
    const answer = await call('POST', '/api/v1/flagger/rollout', {
      body: flaggerBody('c1', { token: CONTROLLER }),
    })
    expect(answer.status).toBe(200)
  })

  it('refuses the Flagger hooks to a read token, and creates nothing', async () => {
    const body = flaggerBody('r1', { token: READ })
    const answer = await call('POST', '/api/v1/flagger/rollout', { body })
    expect(answer.status).toBe(403)
    expect(await analysisExists(flaggerAnalysisId(body as never))).toBe(false)
  })

  it('lets a controller token read a verdict but not create an analysis through the API', async () => {
    const created = await call('POST', '/api/v1/analyses', {
      token: ADMIN,
      body: { service: 'cart', baseline: { release: '1' }, canary: { release: '2' } },
    })
    expect(created.status).toBe(201)
    const verdict = await call('GET', `/api/v1/analyses/${created.body.id}/verdict`, {
      token: CONTROLLER,
    })
    expect(verdict.status).toBe(200)
    const create = await call('POST', '/api/v1/analyses', {
      token: CONTROLLER,
      body: { service: 'cart', baseline: { release: '1' }, canary: { release: '3' } },
    })
    expect(create.status).toBe(403)
  })
})

describe('inline Flagger policies', () => {
  it('need the admin scope besides controller', async () => {
    const body = flaggerBody('p1', { token: CONTROLLER, policy: '{"alpha":0.5}' })
    const refused = await call('POST', '/api/v1/flagger/rollout', { body })
    expect(refused.status).toBe(403)
    expect(refused.body.error?.message).toMatch(/admin scope/)
    expect(await analysisExists(flaggerAnalysisId(body as never))).toBe(false)

    const allowed = flaggerBody('p2', { token: CONTROLLER_ADMIN, policy: '{"alpha":0.05}' })
    expect((await call('POST', '/api/v1/flagger/rollout', { body: allowed })).status).toBe(200)
    const stored = await call('GET', `/api/v1/analyses/${flaggerAnalysisId(allowed as never)}`, {
      token: READ,
    })
    expect(stored.body).toMatchObject({ policy: { alpha: 0.05 } })
  })

  it.each([
    ['null', /must be a JSON object/],
    ['[]', /must be a JSON object/],
    ['"strict"', /must be a JSON object/],
    ['{not json', /must be a JSON object/],
    ['{"alpha":0.7}', /alpha/],
    ['{"alpah":0.01}', /alpah/],
  ])(
    'are refused with 400 when the policy is %s, like the API refuses it',
    async (policy, message) => {
      const body = flaggerBody(`bad-${policy}`, { token: CONTROLLER_ADMIN, policy })
      const answer = await call('POST', '/api/v1/flagger/rollout', { body })
      expect(answer.status).toBe(400)
      expect(answer.body.error?.message).toMatch(message)
      expect(answer.body.error?.message).toMatch(/Flagger metadata "policy"/)
      expect(await analysisExists(flaggerAnalysisId(body as never))).toBe(false)
    },
  )

  it('are refused when invalid even though the analysis already exists', async () => {
    const first = flaggerBody('exists', { token: CONTROLLER })
    expect((await call('POST', '/api/v1/flagger/rollout', { body: first })).status).toBe(200)
    const again = flaggerBody('exists', { token: CONTROLLER_ADMIN, policy: 'null' })
    expect((await call('POST', '/api/v1/flagger/rollout', { body: again })).status).toBe(400)
  })
})

describe('authentication challenges', () => {
  it('names the Bearer scheme on every API 401', async () => {
    for (const answer of [
      await call('GET', '/api/v1/analyses'),
      await call('GET', '/api/v1/analyses', { token: 'not-a-token-0123456789' }),
      await call('GET', argoPath('4.0.0')),
      await call('POST', '/api/v1/flagger/rollout', { body: flaggerBody('none') }),
    ]) {
      expect(answer.status).toBe(401)
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    }
  })

  it('says insufficient_scope on a 403', async () => {
    const answer = await call('GET', argoPath('5.0.0'), { token: READ })
    expect(answer.status).toBe(403)
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer .*error="insufficient_scope"/)
  })

  it('documents the scope of every route in the OpenAPI document', async () => {
    const document = (await (await fetch(`${app.apiUrl}/openapi.json`)).json()) as {
      components: { securitySchemes: { bearerAuth: { scheme: string; description: string } } }
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>
    }
    expect(document.components.securitySchemes.bearerAuth.scheme).toBe('bearer')
    expect(document.components.securitySchemes.bearerAuth.description).toMatch(/controller/)
    const scopes = (path: string, method: string): string[] | undefined =>
      document.paths[path]?.[method]?.security?.[0]?.bearerAuth
    expect(scopes('/api/v1/argo-rollouts/verdict', 'get')).toEqual(['controller'])
    expect(scopes('/api/v1/flagger/rollout', 'post')).toEqual(['controller'])
    expect(scopes('/api/v1/analyses', 'post')).toEqual(['admin'])
    expect(scopes('/api/v1/analyses/{id}/verdict', 'get')).toEqual(['read', 'controller'])
    expect(document.paths['/healthz']?.get?.security).toEqual([])
  })
})
