import type { FastifyInstance } from 'fastify'
import type { SqlConsole } from '../../store/read-only-sql.ts'
import { errorBody } from '../schemas.ts'

/** The longest SQL text accepted: a long analyst query, not a payload. */
export const MAX_SQL_CHARS = 100_000

const sqlRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['query'],
  properties: {
    query: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_SQL_CHARS,
      description:
        'One SELECT (or WITH ... SELECT) over the release-health tables (docs/tables.md); no SETTINGS, FORMAT or INTO OUTFILE',
    },
  },
  examples: [
    { query: 'SELECT release, sum(requests) AS requests FROM request_rollup_1m GROUP BY release' },
  ],
} as const

export const sqlResultBody = {
  type: 'object',
  required: ['columns', 'rows', 'truncated', 'statement'],
  properties: {
    columns: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type'],
        properties: {
          name: { type: 'string' },
          type: { type: 'string', description: 'ClickHouse type, e.g. UInt64' },
        },
      },
    },
    rows: {
      type: 'array',
      description: 'One array per row, in column order; 64-bit integers as strings',
      items: { type: 'array', items: {} },
    },
    truncated: {
      type: 'boolean',
      description: 'More rows matched than sql.maxResultRows; only the first are here',
    },
    statement: { type: 'string', description: 'The statement as it ran, normalised' },
  },
} as const

/**
 * `POST /api/v1/sql`: analysts' read-only SQL over the tables, with the `query` scope, within
 * the server's limits on time, rows and memory (see `createSqlConsole`).
 */
export function registerSqlRoutes(app: FastifyInstance, sql: SqlConsole): void {
  app.post(
    '/api/v1/sql',
    {
      config: { scope: 'query' },
      schema: {
        summary: 'Run one read-only SELECT over the release-health tables',
        description:
          'For analysts (`release-health sql`). Writes, settings, other databases, table functions that read files or other servers, and multiple statements are refused with 400 RH_SQL_REFUSED; limits on time, rows and memory are the server’s (`sql.*`).',
        body: sqlRequest,
        response: { 200: sqlResultBody, 400: errorBody, 503: errorBody },
      },
    },
    async (request) => sql.run((request.body as { query: string }).query),
  )
}
