import { Validator } from '@seriousme/openapi-schema-validator'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiServer } from '../../src/api/api-server.ts'
import { parseTokens } from '../../src/api/auth.ts'
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts'
import { createAnalysesRepository } from '../../src/store/analyses-repository.ts'
import { createSqlConsole, type SqlConsole } from '../../src/store/read-only-sql.ts'
import { createStoreSeriesSource } from '../../src/store/series-queries.ts'
import type { Store } from '../../src/store/store-client.ts'
import { createStoreCohortSource } from '../../src/store/store-cohort-source.ts'
import { silentLogger } from '../../src/logger.ts'
import { createSelfTelemetry } from '../../src/telemetry/self-telemetry.ts'
import { createVerdictService } from '../../src/verdicts/verdict-service.ts'
import { createMigratedTestStore, testDataPath } from '../helpers/store.ts'

/**
 * The OpenAPI document against the server it describes: the routes are read from the running
 * Fastify instance (so a route added anywhere later is checked too), and every route is made
 * to answer with each status the shared plumbing can produce; each status seen must be in the
 * document for that operation.
 */
const TOKENS = {
  all: 'all-scopes-token-0123456789abcdef',
  read: 'read-only-token-0123456789abcdef',
  ingest: 'ingest-only-token-0123456789abcdef',
}

/** Routes of the built-in page, served as files and left out of the API description. */
const PAGE_ROUTES = new Set([
  'GET /',
  'GET /analyses',
  'GET /analyses/:id',
  'GET /ui/:file',
  'GET /openapi.json',
])

interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  security?: Record<string, string[]>[]
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>
}
interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> }
}

let store: Store
let sql: SqlConsole
let api: FastifyInstance
let baseUrl: string
let document: OpenApiDocument

beforeAll(async () => {
  store = await createMigratedTestStore()
  sql = createSqlConsole({
    clickhouse: {
      ...DEFAULT_CONFIG.clickhouse,
      url: process.env.RH_TEST_CLICKHOUSE_URL ?? '',
      dataPath: testDataPath(),
      database: store.database,
    },
    limits: DEFAULT_CONFIG.sql,
  })
  const telemetry = createSelfTelemetry({ version: 'test' })
  api = await createApiServer({
    verdicts: createVerdictService({
      repository: createAnalysesRepository(store),
      cohorts: createStoreCohortSource(store, silentLogger),
      now: Date.now,
    }),
    series: createStoreSeriesSource(store),
    sql,
    servePrometheus: telemetry.servePrometheus,
    isReady: () => Promise.resolve({ ready: true }),
    version: 'test',
    tokens: parseTokens([
      `ingest+read+admin+query:${TOKENS.all}`,
      `read:${TOKENS.read}`,
      `ingest:${TOKENS.ingest}`,
    ]),
  })
  baseUrl = await api.listen({ host: '127.0.0.1', port: 0 })
  document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument
})
afterAll(async () => {
  await api.close()
  await sql.close()
  await store.close()
})

/** `METHOD /path/:param` of every route the server answers, from its own router. */
function serverRoutes(app: FastifyInstance): string[] {
  const routes: string[] = []
  const paths: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S+)(?: \(([^)]*)\))?$/.exec(line)
    if (match === null) continue
    const depth = Math.floor(match[1]!.length / 4)
    const path = (depth === 0 ? '' : (paths[depth - 1] ?? '')) + match[2]!
    paths[depth] = path
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD' && method !== 'OPTIONS')
        routes.push(`${method} ${path.replace(/^\/\//, '/')}`)
    }
  }
  return routes
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

function operationOf(route: string): Operation | undefined {
  const [method, path] = route.split(' ') as [string, string]
  return document.paths[toOpenApiPath(path)]?.[method.toLowerCase()]
}

async function statusOf(
  route: string,
  variant: { token?: string; param?: string; query?: string; body?: string; type?: string },
): Promise<number> {
  const [method, path] = route.split(' ') as [string, string]
  const url = `${baseUrl}${path.replace(/:[A-Za-z0-9_]+/g, variant.param ?? 'no-such-id')}${variant.query ?? ''}`
  const hasBody = method === 'POST' || method === 'PUT'
  const response = await fetch(url, {
    method,
    headers: {
      ...(variant.token === undefined ? {} : { authorization: `Bearer ${variant.token}` }),
      ...(hasBody ? { 'content-type': variant.type ?? 'application/json' } : {}),
    },
    ...(hasBody ? { body: variant.body ?? '{}' } : {}),
  })
  await response.arrayBuffer()
  return response.status
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(
      document as unknown as Parameters<Validator['validate']>[0],
    )
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')
  })

  it('declares bearer-token security, and every operation an id, a tag, a summary and its security', () => {
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    })
    const ids = new Set<string>()
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/)
        expect(ids.has(operation.operationId!), `${where} duplicate operationId`).toBe(false)
        ids.add(operation.operationId!)
        expect(operation.tags?.length, where).toBeGreaterThan(0)
        expect(operation.summary, where).toBeTruthy()
        expect(operation.security, where).toBeDefined()
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response.description, `${where} ${status}`).toBeTruthy()
        }
      }
    }
  })

  it('describes the decision the Argo Rollouts template reads with {$.decision}', () => {
    const argo = document.paths['/api/v1/argo-rollouts/verdict']?.get
    const schema = (
      argo?.responses['200']?.content?.['application/json'] as {
        schema: { properties: Record<string, { enum?: string[] }> }
      }
    ).schema
    expect(schema.properties.decision?.enum).toEqual([
      'promote',
      'continue',
      'rollback',
      'inconclusive',
    ])
  })

  it('describes every route the server answers', () => {
    const routes = serverRoutes(api).filter((route) => !PAGE_ROUTES.has(route))
    expect(routes.length).toBeGreaterThan(10)
    expect(routes.filter((route) => operationOf(route) === undefined)).toEqual([])
  })

  it('lists every status a route answers with, for every route the server answers', async () => {
    const undocumented: string[] = []
    for (const route of serverRoutes(api).filter((each) => !PAGE_ROUTES.has(each))) {
      const variants = [
        {},
        { token: 'not-a-valid-token-at-all' },
        { token: TOKENS.ingest },
        { token: TOKENS.read },
        { token: TOKENS.all },
        { token: TOKENS.all, query: '?unknownParameter=1' },
        { token: TOKENS.all, param: 'x'.repeat(200) },
        { token: TOKENS.all, body: '{"unknownField": true, "name": 1}' },
        { token: TOKENS.all, body: 'not json' },
        { token: TOKENS.all, body: 'x', type: 'text/plain' },
        { token: TOKENS.all, body: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }) },
      ]
      const documented = Object.keys(operationOf(route)?.responses ?? {})
      for (const variant of variants) {
        const status = await statusOf(route, variant)
        if (!documented.includes(String(status))) {
          undocumented.push(
            `${route} answered ${status} to ${JSON.stringify(variant).slice(0, 80)}`,
          )
        }
      }
    }
    expect(undocumented).toEqual([])
  })
})
