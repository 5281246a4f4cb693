import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { closeConnectionsOnShutdown } from '../http/close-connections-on-shutdown.ts'
import swagger from '@fastify/swagger'
import { RhError, toMessage } from '../errors.ts'
import { requireScopes, type TokenEntry } from './auth.ts'
import { toApiError } from './api-errors.ts'
import { registerArgoRolloutsRoutes } from './adapters/argo-rollouts.ts'
import { registerFlaggerRoutes } from './adapters/flagger.ts'
import { registerUiRoutes } from './routes/ui-routes.ts'
import { registerSqlRoutes } from './routes/sql-routes.ts'
import { describeRoutes, SECURITY_SCHEMES, TAG_DESCRIPTIONS } from './routes/describe-routes.ts'
import type { SqlConsole } from '../store/read-only-sql.ts'
import type { SeriesSource } from '../store/series-queries.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { AnalysisDefinition } from '../verdicts/analysis-definition.ts'
import type { NewAnalysis, Requester, VerdictService } from '../verdicts/verdict-service.ts'
import {
  analysisBody,
  createAnalysisBody,
  createdBody,
  errorBody,
  historyBody,
  historyQuery,
  idParams,
  listAnalysesQuery,
  readyBody,
  verdictBody,
  verdictQuery,
} from './schemas.ts'

export interface ApiServerOptions {
  readonly verdicts: VerdictService
  /** Whether the store answers and its schema is current, for /readyz. */
  readonly isReady: () => Promise<{ ready: boolean; reason?: string }>
  readonly logger?: Logger
  readonly version: string
  /** Bearer tokens; empty = authentication off. */
  readonly tokens?: readonly TokenEntry[]
  /** Per-minute cohort series for the built-in page and `/series`; omitted = no charts. */
  readonly series?: SeriesSource
  /** Serves the Prometheus text exposition at /metrics when given. */
  readonly servePrometheus?: (request: IncomingMessage, response: ServerResponse) => void
  /** Serves analysts' read-only SQL at POST /api/v1/sql when given. */
  readonly sql?: SqlConsole | undefined
}

const errorResponses = { 400: errorBody, 404: errorBody, 503: errorBody }

/** Largest request body the API reads; larger ones are answered 413 before they are parsed. */
export const API_MAX_BODY_BYTES = 1024 * 1024

/**
 * The JSON of a verdict document, made once per document: controllers poll one cached verdict
 * thousands of times a second. (The judge's verdicts are JSON by contract: every number finite
 * or null, so plain JSON.stringify is what the response schema would write.)
 */
const serializedVerdicts = new WeakMap<object, Buffer>()
function serialized(verdict: object): Buffer {
  // Bytes, not a string: a string would be encoded to UTF-8 again on every write (measured:
  // a third of the server's time per cached poll of a 7 KB verdict).
  let json = serializedVerdicts.get(verdict)
  if (json === undefined) {
    json = Buffer.from(JSON.stringify(verdict))
    serializedVerdicts.set(verdict, json)
  }
  return json
}

/** The HTTP API that rollout controllers, dashboards and people use. */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? silentLogger
  // Unknown fields are refused rather than silently dropped: a typo in a policy or cohort
  // must not quietly change what is judged.
  const app = Fastify({
    logger: false,
    bodyLimit: API_MAX_BODY_BYTES,
    ajv: { customOptions: { removeAdditional: false } },
  })

  closeConnectionsOnShutdown(app)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'release-health',
        version: options.version,
        description: 'Canary analysis verdicts over release-correlated OpenTelemetry data.',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
      tags: [...TAG_DESCRIPTIONS],
    },
  })
  describeRoutes(app, { defaultScope: 'read' })

  requireScopes(app, options.tokens ?? [], 'read')

  app.setErrorHandler((error, request, reply) => {
    const known = toApiError(error, { maxBodyBytes: API_MAX_BODY_BYTES })
    if (known.status >= 500)
      logger.error({ err: toMessage(error), url: request.url }, 'api request failed')
    if (known.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(known.retryAfterSeconds))
    const challenge = toBearerChallenge(known)
    if (challenge !== undefined) reply.header('www-authenticate', challenge)
    return reply.code(known.status).send({
      error: { code: known.code, message: known.message, retriable: known.retriable },
    })
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'RH_API_NOT_FOUND',
        message: `no route ${request.method} ${request.url}`,
        retriable: false,
      },
    }),
  )

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, () =>
    app.swagger(),
  )

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The process is alive',
        operationId: 'getHealth',
        response: {
          200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } } },
        },
      },
      config: { public: true },
    },
    () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The store is reachable and migrated',
        operationId: 'getReadiness',
        response: { 200: readyBody, 503: readyBody },
      },
      config: { public: true },
    },
    async (_request, reply) => {
      const state = await options.isReady()
      return reply
        .code(state.ready ? 200 : 503)
        .send(state.ready ? { status: 'ready' } : { status: 'not ready', reason: state.reason })
    },
  )

  app.post(
    '/api/v1/analyses',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create an analysis',
        operationId: 'createAnalysis',
        body: createAnalysisBody,
        response: { 201: createdBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const analysis = await options.verdicts.create(request.body as NewAnalysis)
      return reply
        .code(201)
        .header('location', `/api/v1/analyses/${analysis.id}`)
        .send({ id: analysis.id })
    },
  )

  app.get(
    '/api/v1/analyses',
    {
      schema: {
        summary: 'Analyses, newest first',
        operationId: 'listAnalyses',
        querystring: listAnalysesQuery,
        response: {
          200: { type: 'object', properties: { analyses: { type: 'array', items: analysisBody } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { service, limit } = request.query as { service?: string; limit: number }
      const analyses = await options.verdicts.list({
        limit,
        ...(service === undefined ? {} : { service }),
      })
      return { analyses: analyses.map(toAnalysisBody) }
    },
  )

  app.put(
    '/api/v1/analyses/:id/policy',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Change the policy from now on (a new version; history is kept)',
        operationId: 'updatePolicy',
        params: idParams,
        body: { type: 'object', description: 'Judge policy; {} = defaults' },
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, version: { type: 'integer' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const analysis = await options.verdicts.updatePolicy(id, request.body)
      if (analysis === undefined) throw notFound(id)
      return { id: analysis.id, version: analysis.version }
    },
  )

  app.get(
    '/api/v1/analyses/:id/verdicts',
    {
      schema: {
        summary: 'Recorded verdicts of an analysis, newest first',
        operationId: 'listVerdicts',
        params: idParams,
        querystring: historyQuery,
        response: { 200: historyBody, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { limit } = request.query as { limit: number }
      const verdicts = await options.verdicts.history(id, limit)
      if (verdicts === undefined) throw notFound(id)
      return {
        analysisId: id,
        verdicts: verdicts.map((record) => ({
          evaluatedAt: new Date(record.evaluatedAtMs).toISOString(),
          recordedAt: new Date(record.recordedAtMs).toISOString(),
          decision: record.decision,
          reasons: record.reasons,
          policyVersion: record.policyVersion,
          requester: record.requester,
        })),
      }
    },
  )

  app.get(
    '/api/v1/analyses/:id',
    {
      schema: {
        summary: 'An analysis as stored',
        operationId: 'getAnalysis',
        params: idParams,
        response: { 200: analysisBody, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const analysis = await options.verdicts.find(id)
      if (analysis === undefined) throw notFound(id)
      return toAnalysisBody(analysis)
    },
  )

  app.get(
    '/api/v1/analyses/:id/verdict',
    {
      config: { scope: ['read', 'controller'] },
      schema: {
        summary: 'The verdict now, or replayed at a past time',
        operationId: 'getVerdict',
        params: idParams,
        querystring: verdictQuery,
        response: { 200: verdictBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const { at } = request.query as { at?: string }
      const verdict = await options.verdicts.evaluate(id, {
        ...(at === undefined ? {} : { atMs: Date.parse(at) }),
        requester: toRequester(
          request.query as { requester?: string },
          request.headers['user-agent'],
        ),
      })
      if (verdict === undefined) throw notFound(id)
      // A cached verdict is the same object poll after poll: its JSON is made once.
      return reply.type('application/json; charset=utf-8').send(serialized(verdict))
    },
  )

  const servePrometheus = options.servePrometheus
  if (servePrometheus !== undefined) {
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics of release-health itself',
          operationId: 'getMetrics',
          response: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      (request, reply) => {
        reply.hijack()
        servePrometheus(request.raw, reply.raw)
      },
    )
  }

  registerFlaggerRoutes(app, options.verdicts, options.tokens ?? [])
  registerArgoRolloutsRoutes(app, options.verdicts)
  registerUiRoutes(app, options)
  if (options.sql !== undefined) registerSqlRoutes(app, options.sql)

  return app
}

/**
 * Controllers name themselves with `?requester=` (the Argo Rollouts example does); their
 * polls are all recorded. Anyone else is known by User-Agent and recorded on changes only.
 * Either is free text: the verdict service records it as data (`toRequesterName`).
 */
function toRequester(query: { requester?: string }, userAgent: string | undefined): Requester {
  if (query.requester !== undefined) return { name: query.requester, isController: true }
  return { name: userAgent ?? 'unknown', isController: false }
}

/** RFC 6750 section 3: a 401 names the scheme, a 403 says the token's scope is too small. */
function toBearerChallenge(error: RhError): string | undefined {
  if (error.code === 'RH_API_UNAUTHORIZED') return 'Bearer realm="release-health"'
  if (error.code === 'RH_API_FORBIDDEN')
    return 'Bearer realm="release-health", error="insufficient_scope"'
  return undefined
}

function notFound(id: string): RhError {
  return new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(id)}`)
}

function toAnalysisBody(analysis: AnalysisDefinition): Record<string, unknown> {
  return {
    id: analysis.id,
    version: analysis.version,
    service: analysis.service,
    environment: analysis.environment,
    baseline: analysis.baseline,
    canary: analysis.canary,
    startTime: new Date(analysis.startMs).toISOString(),
    createdAt: new Date(analysis.createdAtMs).toISOString(),
    policy: analysis.policy,
  }
}
