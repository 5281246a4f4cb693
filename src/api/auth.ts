import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { RhError } from '../errors.ts'

/**
 * `ingest`: OTLP. `read`: verdicts, analyses, series, metrics. `controller`: the Argo Rollouts
 * and Flagger adapters (which create analyses from templates or defaults) and verdicts.
 * `admin`: creating analyses through the API, changing policies, inline Flagger policies.
 * `query`: read-only SQL for analysts (`POST /api/v1/sql`).
 */
export const SCOPES = ['ingest', 'read', 'controller', 'admin', 'query'] as const
export type Scope = (typeof SCOPES)[number]

export interface TokenEntry {
  readonly scopes: ReadonlySet<Scope>
  /** SHA-256 of the token: compared in constant time, never kept in clear. */
  readonly digest: Buffer
}

/** Parses `auth.tokens` entries (`scope+scope:token`), naming the entry that is wrong. */
export function parseTokens(entries: readonly string[]): TokenEntry[] {
  return entries.map((entry, index) => {
    const separator = entry.indexOf(':')
    const scopes = entry.slice(0, separator).split('+')
    const token = entry.slice(separator + 1)
    const where = `config key "auth.tokens" entry ${index + 1}`
    if (separator <= 0 || token.length === 0) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `${where} must look like "read:<token>" or "ingest+read:<token>"`,
      )
    }
    const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope))
    if (unknown.length > 0) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `${where} names unknown scopes ${JSON.stringify(unknown)}; use ${SCOPES.join(', ')}`,
      )
    }
    if (token.length < 16) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `${where} has a token of ${token.length} characters; use at least 16 random characters`,
      )
    }
    return { scopes: new Set(scopes as Scope[]), digest: digest(token) }
  })
}

/**
 * The scopes a request's bearer token grants, or an error saying what is missing. Every
 * configured token is compared, in constant time, so timing tells nothing about which matched.
 */
export function authorize(
  tokens: readonly TokenEntry[],
  authorization: string | undefined,
  required: Scope | readonly Scope[],
): RhError | undefined {
  // Any one of several scopes will do, e.g. a verdict is for readers and for controllers.
  const anyOf: readonly Scope[] = typeof required === 'string' ? [required] : required
  const needed = `the ${anyOf.join(' or ')} scope`
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (match?.[1] === undefined) {
    return new RhError(
      'RH_API_UNAUTHORIZED',
      `this endpoint needs "Authorization: Bearer <token>" with ${needed}`,
    )
  }
  const presented = digest(match[1])
  let granted: TokenEntry | undefined
  for (const entry of tokens) {
    if (timingSafeEqual(entry.digest, presented) && granted === undefined) granted = entry
  }
  if (granted === undefined)
    return new RhError('RH_API_UNAUTHORIZED', 'the bearer token is not valid')
  if (!anyOf.some((scope) => granted.scopes.has(scope))) {
    return new RhError('RH_API_FORBIDDEN', `the bearer token lacks ${needed}, which this needs`)
  }
  return undefined
}

/**
 * Requires `scope` on every route of `app` whose config does not say `{ public: true }` or
 * name another scope. No tokens configured: authentication is off.
 */
export function requireScopes(
  app: FastifyInstance,
  tokens: readonly TokenEntry[],
  defaultScope: Scope,
): void {
  if (tokens.length === 0) return
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const config = request.routeOptions.config as
      { public?: boolean; scope?: Scope | readonly Scope[] } | undefined
    if (config?.public === true) return done()
    const failure = authorize(tokens, request.headers.authorization, config?.scope ?? defaultScope)
    done(failure)
  })
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (health, readiness, the OpenAPI document, the page). */
    public?: boolean
    /** The scope this route needs (any one of a list), when not the server's default. */
    scope?: Scope | readonly Scope[]
  }
}
