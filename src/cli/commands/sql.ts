import { readFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import { RhError } from '../../errors.ts'

interface SqlFlags {
  readonly api: string
  readonly token?: string
  readonly format: 'table' | 'tsv' | 'csv' | 'json'
}

interface SqlAnswer {
  readonly columns: readonly { readonly name: string; readonly type: string }[]
  readonly rows: readonly (readonly unknown[])[]
  readonly truncated: boolean
}

export function createSqlCommand(): Command {
  return new Command('sql')
    .description(
      'run one read-only SELECT over the release-health tables through a running server (POST /api/v1/sql, query scope)',
    )
    .argument('[query]', 'the SELECT; "-" or nothing reads it from stdin')
    .option('--api <url>', 'release-health API', 'http://localhost:8080')
    .option('--token <token>', 'bearer token with the query scope (env: RH_API_TOKEN)')
    .addOption(
      new Option('--format <format>', 'output')
        .choices(['table', 'tsv', 'csv', 'json'])
        .default('table'),
    )
    .addHelpText(
      'after',
      `\nThe tables and their columns: docs/tables.md; example queries: docs/sql-examples.md.
Writes, settings, other databases and several statements are refused; the server limits time
and rows (sql.maxExecutionSeconds, sql.maxResultRows). Example:
  release-health sql "SELECT release, sum(requests) FROM request_rollup_1m GROUP BY release"`,
    )
    .action(async (query: string | undefined, flags: SqlFlags) => {
      const text = query === undefined || query === '-' ? readFileSync(0, 'utf8') : query
      const token = flags.token ?? process.env.RH_API_TOKEN
      const response = await fetch(`${flags.api.replace(/\/$/, '')}/api/v1/sql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query: text }),
      }).catch((error: unknown) => {
        throw new RhError(
          'RH_STORE_UNREACHABLE',
          `cannot reach release-health at ${flags.api} (${String(error)}); is serve running? (--api)`,
        )
      })
      const body = (await response.json()) as SqlAnswer & {
        error?: { code: string; message: string }
      }
      if (!response.ok || body.error !== undefined) {
        console.error(
          `release-health: ${body.error?.message ?? `HTTP ${response.status}`} [${body.error?.code ?? response.status}]`,
        )
        process.exitCode = 1
        return
      }
      console.log(render(body, flags.format))
      if (body.truncated)
        console.error(`(only the first ${body.rows.length} rows: sql.maxResultRows)`)
    })
}

function render(answer: SqlAnswer, format: SqlFlags['format']): string {
  if (format === 'json') return JSON.stringify(answer, null, 2)
  const header = answer.columns.map((column) => column.name)
  const rows = answer.rows.map((row) => row.map(toCell))
  if (format === 'tsv') return [header, ...rows].map((row) => row.join('\t')).join('\n')
  if (format === 'csv') return [header, ...rows].map((row) => row.map(toCsv).join(',')).join('\n')
  const widths = header.map((name, index) =>
    Math.max(name.length, ...rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  )
}

function toCell(value: unknown): string {
  if (value === null) return 'NULL'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function toCsv(cell: string): string {
  return /[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell
}
