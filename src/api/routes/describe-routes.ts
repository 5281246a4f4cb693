import type { FastifyInstance, RouteOptions } from 'fastify'
import { errorBody } from '../schemas.ts'

/** The security scheme every bearer-token route names (`auth.tokens`). */
export const BEARER_SCHEME = 'bearerAuth'

export const SECURITY_SCHEMES = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: [
      'A token of `auth.tokens` (`RH_AUTH_TOKENS`), sent as `Authorization: Bearer <token>`; with no tokens configured, authentication is off.',
      'A route lists the scopes that let a token in, any one of them is enough:',
      '`ingest`: OTLP. `read`: analyses, trains, verdicts, series, the overview, metrics.',
      '`controller`: the Argo Rollouts and Flagger adapters (which create analyses from policy templates or defaults) and verdicts.',
      '`admin`: creating analyses and trains, changing policies, inline Flagger policies. `query`: read-only SQL.',
    ].join(' '),
  },
} as const

/** What each error status means on this API; every error has the same body. */
const ERRORS: Readonly<Record<number, string>> = {
  400: 'Invalid request: a parameter, the query string or the body does not match the schema (RH_API_INVALID_REQUEST), or the request was refused (RH_SQL_REFUSED, RH_POLICY_INVALID, RH_POLICY_SOURCE_UNAVAILABLE)',
  401: 'No bearer token, or not a valid one (RH_API_UNAUTHORIZED)',
  403: 'The bearer token lacks the scope this route needs (RH_API_FORBIDDEN)',
  404: 'No such analysis, train or route (RH_API_NOT_FOUND)',
  413: 'The body is larger than the API accepts (1 MiB)',
  414: 'A path parameter is longer than the router accepts',
  415: 'The body is not application/json',
  500: 'A bug: the server log has the details (RH_INTERNAL)',
  503: 'The store did not answer; retry after Retry-After (RH_STORE_QUERY_FAILED, RH_STORE_UNREACHABLE)',
}

const TAGS: readonly { prefix: string; tag: string }[] = [
  { prefix: '/api/v1/flagger/', tag: 'controllers' },
  { prefix: '/api/v1/argo-rollouts/', tag: 'controllers' },
  { prefix: '/api/v1/sql', tag: 'sql' },
  { prefix: '/api/v1/analyses', tag: 'analyses' },
  { prefix: '/api/v1/trains', tag: 'trains' },
]

export const TAG_DESCRIPTIONS = [
  { name: 'analyses', description: 'Canary analyses, their verdicts, audit trail and series' },
  {
    name: 'trains',
    description: 'Release trains: several services’ canaries judged together under one alpha',
  },
  { name: 'controllers', description: 'Adapters for Argo Rollouts and Flagger' },
  { name: 'sql', description: 'Read-only SQL over the release-health tables, for analysts' },
  { name: 'operations', description: 'Health, readiness and metrics of release-health itself' },
] as const

/**
 * Gives every route the parts of its OpenAPI description that follow from how the server
 * treats it, so that routes added anywhere are described alike: an `operationId` and a tag,
 * its security requirement (from its `scope`, or none when public), and the error responses
 * the shared plumbing can answer with (validation, auth, body limits, the store, bugs). A
 * route's own schema wins where it says more. Runs as an `onRoute` hook, so it must be added
 * before the routes.
 */
export function describeRoutes(app: FastifyInstance, options: { defaultScope: string }): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ?? {}) as Record<string, unknown>
    if (schema.hide === true) return
    const method = (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET'
    if (method === 'HEAD') return
    const config = (route.config ?? {}) as { public?: boolean; scope?: string | readonly string[] }
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
    const hasParams = route.url.includes(':')
    const codes = new Set<number>([500])
    if (hasBody || hasParams || schema.querystring !== undefined) codes.add(400)
    if (config.public !== true) {
      codes.add(401)
      codes.add(403)
    }
    if (hasParams) {
      codes.add(404)
      codes.add(414)
    }
    if (hasBody) {
      codes.add(413)
      codes.add(415)
    }
    if (!['/healthz', '/metrics'].includes(route.url)) codes.add(503)
    const responses = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) }
    for (const code of codes) {
      responses[code] ??= { ...errorBody, description: ERRORS[code] }
    }
    route.schema = {
      ...schema,
      operationId: (schema.operationId as string | undefined) ?? toOperationId(method, route.url),
      tags: (schema.tags as string[] | undefined) ?? [toTag(route.url)],
      ...(schema.security !== undefined
        ? {}
        : {
            security:
              config.public === true
                ? []
                : [{ [BEARER_SCHEME]: [config.scope ?? options.defaultScope].flat() }],
          }),
      response: responses,
    }
  })
}

/** `GET /api/v1/analyses/:id/verdict` -> `getAnalysesByIdVerdict`. */
export function toOperationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1\//, '/')
    .split(/[/-]/)
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split('-'))
  return [
    method.toLowerCase(),
    ...words.map((word) => word[0]!.toUpperCase() + word.slice(1)),
  ].join('')
}

function toTag(url: string): string {
  return TAGS.find((entry) => url.startsWith(entry.prefix))?.tag ?? 'operations'
}
