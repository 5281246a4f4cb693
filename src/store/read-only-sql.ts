import { mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client'
import type { Config } from '../config/defaults.ts'
import { RhError, toMessage } from '../errors.ts'
import { loadChdb } from './embedded-store.ts'
import { isRetriableStoreError } from './retry.ts'

/** Limits the server sets on every analyst query; never taken from the request. */
export interface SqlLimits {
  readonly maxExecutionSeconds: number
  readonly maxResultRows: number
  readonly maxMemoryBytes: number
}

export interface SqlResult {
  readonly columns: readonly { readonly name: string; readonly type: string }[]
  readonly rows: readonly (readonly unknown[])[]
  /** More rows than `maxResultRows` matched; only the first `maxResultRows` are here. */
  readonly truncated: boolean
  /** The statement as ClickHouse parsed and ran it (comments gone, one line). */
  readonly statement: string
}

export interface SqlConsole {
  run(sql: string): Promise<SqlResult>
  close(): Promise<void>
}

/**
 * Analysts' SQL against the release-health tables, read-only. The SQL text is the request's by
 * design, so it is kept to what it may do in layers, each enough for most of it:
 *
 * 1. its own ClickHouse connection, in `readonly = 1` with the limits set by the server before
 *    (embedded: a session of its own whose settings nothing else shares; server: settings of
 *    every request): no writes, no DDL, no SET or SETTINGS, no file, url or remote tables;
 * 2. ClickHouse's own parser (`formatQuerySingleLine`, the text passed as a bound parameter)
 *    must find exactly one statement, a SELECT (or WITH ... SELECT); the canonical text it
 *    returns is what runs, so no comment or second statement can ride along;
 * 3. its text has no SETTINGS, FORMAT or INTO OUTFILE clause, and its parse tree (`EXPLAIN AST`)
 *    has none either, no table function but the number generators, and no function that reads
 *    files or dictionaries;
 * 4. its resolved query tree (`EXPLAIN QUERY TREE`) reads tables of the release-health
 *    database only: not `system`, not another database of a shared server.
 */
export function createSqlConsole(options: {
  clickhouse: Config['clickhouse']
  limits: SqlLimits
}): SqlConsole {
  const { clickhouse, limits } = options
  const database = clickhouse.database
  const settings = {
    max_execution_time: limits.maxExecutionSeconds,
    // One row more than is returned tells whether the result was cut.
    max_result_rows: limits.maxResultRows + 1,
    result_overflow_mode: 'break',
    max_memory_usage: limits.maxMemoryBytes,
    output_format_json_quote_64bit_integers: 1,
    date_time_output_format: 'iso',
  } as const
  let client: ClickHouseClient
  let ready: Promise<void>
  if (clickhouse.url === '') {
    mkdirSync(clickhouse.dataPath, { recursive: true })
    // A session of its own: chDB applies settings as SET statements that persist in a session,
    // so readonly is set once here, after the limits, and can then be changed by nothing.
    client = createClient({
      connection: loadChdb('chdb/connection').createChdbConnection({
        path: clickhouse.dataPath,
      }) as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>,
    })
    ready = (async () => {
      for (const [name, value] of Object.entries(settings)) {
        const literal = typeof value === 'number' ? String(value) : `'${value}'`
        // Constants of this file, never request data.
        await client.command({ query: `SET ${name} = ${literal}` })
      }
      await client.command({ query: `USE ${database}` })
      await client.command({ query: 'SET readonly = 1' })
    })()
  } else {
    client = createClient({
      url: clickhouse.url,
      username: clickhouse.username,
      password: clickhouse.password,
      database,
      request_timeout: (limits.maxExecutionSeconds + 5) * 1000,
      // URL parameters of every request: strings, readonly among them.
      clickhouse_settings: Object.fromEntries(
        [...Object.entries(settings), ['readonly', 1]].map(([name, value]) => [
          name,
          String(value),
        ]),
      ) as ClickHouseSettings,
    })
    ready = Promise.resolve()
  }

  // Awaited by every query (which then sees a setup failure) and by close; never left unhandled.
  ready.catch(() => undefined)

  const text = async (query: string, params: Record<string, unknown> = {}): Promise<string> => {
    const result = await client.query({ query, query_params: params, format: 'TabSeparatedRaw' })
    return result.text()
  }

  // chDB leaks what a failed query had written (a header, some rows) into the session's next
  // result; a throwaway query after each failure takes it. A server answers each request apart.
  const drain = async (): Promise<void> => {
    if (clickhouse.url === '') await text('SELECT 1').catch(() => undefined)
  }
  const engine = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      await drain()
      if (isUnreachable(error)) throw error
      throw new RhError('RH_SQL_FAILED', `ClickHouse refused the query: ${firstLine(error)}`, {
        cause: error,
      })
    }
  }

  return {
    async run(sql) {
      await ready
      const statement = await parseOne(text, sql).catch(async (error: unknown) => {
        await drain()
        throw error
      })
      checkClauses(statement)
      const ast = await engine(() => text(`EXPLAIN AST ${statement}`))
      checkParseTree(ast)
      const tree = await engine(() => text(`EXPLAIN QUERY TREE ${statement}`))
      checkTables(tree, database)
      const result = await engine(() =>
        client.query({ query: statement, format: 'JSONCompactEachRowWithNamesAndTypes' }),
      )
      const [names = [], types = [], ...rows] = await engine(() => result.json<unknown[]>())
      return {
        columns: names.map((name, index) => ({ name: String(name), type: String(types[index]) })),
        rows: rows.slice(0, limits.maxResultRows),
        truncated: rows.length > limits.maxResultRows,
        statement,
      }
    },
    async close() {
      // Setting the session up may still be running (a quick stop after start): let it end.
      await ready.catch(() => undefined)
      await client.close()
    },
  }
}

/** The one statement `sql` holds, as ClickHouse formats it; anything else is refused. */
async function parseOne(
  text: (query: string, params: Record<string, unknown>) => Promise<string>,
  sql: string,
): Promise<string> {
  let statement: string
  try {
    statement = (await text('SELECT formatQuerySingleLine({sql:String})', { sql })).trim()
  } catch (error) {
    if (isUnreachable(error)) throw error
    throw refused(`it is not one valid statement: ${firstLine(error)}`)
  }
  if (!/^(SELECT|WITH)\b/.test(statement)) {
    throw refused(
      'only SELECT (or WITH ... SELECT) statements are allowed; this endpoint is read-only',
    )
  }
  return statement
}

/**
 * Clauses that change where the output goes or how the engine runs, found in the canonical text
 * with its string literals and quoted names blanked out (the formatter writes keywords in upper
 * case). Checked before anything is explained: ClickHouse would apply them to the EXPLAIN too.
 */
function checkClauses(statement: string): void {
  const bare = statement.replace(/'(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"/g, "''")
  if (/\bSETTINGS\b/.test(bare)) {
    throw refused('SETTINGS clauses are not allowed: the server sets the limits')
  }
  if (/\bINTO\s+OUTFILE\b|\bFORMAT\b/.test(bare)) {
    throw refused('FORMAT and INTO OUTFILE clauses are not allowed')
  }
}

/** Table functions that only generate numbers: handy for time grids, reading nothing. */
const GENERATORS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateseries',
])

/** Functions that read files, dictionaries or other tables outside the query's FROM. */
function isReadingFunction(name: string): boolean {
  return (
    ['file', 'catboostevaluate', 'modelevaluate', 'getserversetting'].includes(name) ||
    name.startsWith('dict') ||
    name.startsWith('joinget')
  )
}

/**
 * The lines of an EXPLAIN output. The FORMAT the client appends binds to the explained SELECT
 * (it shows in the tree as `Identifier TabSeparatedRaw`), so the embedded engine may write the
 * lines in its default CSV: quoted, with quotes doubled. Both shapes read the same here.
 */
function explainLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      line.length >= 2 && line.startsWith('"') && line.endsWith('"')
        ? line.slice(1, -1).replaceAll('""', '"')
        : line,
    )
}

function checkParseTree(ast: string): void {
  const lines = explainLines(ast)
  for (const [index, line] of lines.entries()) {
    const depth = line.length - line.trimStart().length
    const node = line.trim()
    if (node === 'Set') {
      throw refused('SETTINGS clauses are not allowed: the server sets the limits')
    }
    // The root's children are the statement's parts: its selects, then FORMAT, INTO OUTFILE.
    if (
      depth === 1 &&
      !node.startsWith('ExpressionList') &&
      node !== 'Identifier TabSeparatedRaw'
    ) {
      throw refused('FORMAT and INTO OUTFILE clauses are not allowed')
    }
    const fn = /^Function (\S+)/.exec(node)?.[1]?.toLowerCase()
    if (fn === undefined) continue
    const parent = lines
      .slice(0, index)
      .reverse()
      .find((row) => row.length - row.trimStart().length < depth)
    if (parent?.trim() === 'TableExpression' && !GENERATORS.has(fn)) {
      throw refused(`table function ${fn}() is not allowed: query the release-health tables`)
    }
    if (isReadingFunction(fn)) {
      throw refused(`function ${fn}() is not allowed: it reads outside the release-health tables`)
    }
  }
}

function checkTables(tree: string, database: string): void {
  for (const match of explainLines(tree)
    .join('\n')
    .matchAll(/\btable_name: (\S+)/g)) {
    const table = match[1] ?? ''
    // system.one is the one-row table a SELECT without FROM reads.
    if (table.replace(/,$/, '') === 'system.one') continue
    if (!new RegExp(`^${database}\\.[A-Za-z0-9_]+,?$`).test(table)) {
      throw refused(
        `table ${table.replace(/,$/, '')} is outside the ${database} database; see docs/tables.md for what there is`,
      )
    }
  }
}

/**
 * The store could not be asked (a network failure): a 503 to retry. An error ClickHouse
 * answered with (it has a numeric code: a time or memory limit, readonly) is about the query.
 */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return !(typeof code === 'string' && /^\d+$/.test(code)) && isRetriableStoreError(error)
}

function refused(why: string): RhError {
  return new RhError('RH_SQL_REFUSED', `the query was refused: ${why}`)
}

function firstLine(error: unknown): string {
  return (toMessage(error).split('\n')[0] ?? '').slice(0, 500)
}
