import type { FastifyInstance } from 'fastify'
import { SCOPES, type Scope } from './auth.ts'

/** The OpenAPI security scheme every protected route names, with the scopes it accepts. */
export const BEARER_SECURITY_SCHEME = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: [
      'Needed only when `auth.tokens` is configured (RH_AUTH_TOKENS).',
      `Scopes: ${SCOPES.join(', ')}.`,
      '`ingest`: OTLP. `read`: analyses, verdicts, series, metrics.',
      '`controller`: the Argo Rollouts and Flagger adapters (which create analyses from policy templates or defaults) and verdicts.',
      '`admin`: creating analyses, changing policies, inline Flagger policies.',
      'A route lists the scopes that let a token in: any one of them is enough.',
    ].join(' '),
  },
} as const

/**
 * Writes each route's scope into the OpenAPI document (`security`), from the same route
 * config that `requireScopes` enforces, so the document cannot drift from the checks. Routes
 * that check tokens themselves (Flagger, whose token may come in the body) set `security` in
 * their schema. Must be added before the routes.
 */
export function documentScopes(app: FastifyInstance, defaultScope: Scope): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as { hide?: boolean; security?: unknown }
    if (schema.hide === true || schema.security !== undefined) return
    const config = route.config as { public?: boolean; scope?: Scope | readonly Scope[] }
    const scopes = config?.public === true ? [] : [config?.scope ?? defaultScope].flat()
    route.schema = {
      ...route.schema,
      security: scopes.length === 0 ? [] : [{ bearer: scopes }],
    }
  })
}
