import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createSqlConsole, type SqlConsole } from '../../../src/store/read-only-sql.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { migrate } from '../../../src/store/migrate.ts'
import { toConfiguredSpanSource } from '../../../src/store/otel-traces.ts'
import { toOtelRollupViewStatements } from '../../../src/store/otel-rollup.ts'
import { otelTracesDdl } from '../../helpers/otel-traces-table.ts'
import { createMigratedTestStore, queryRows, testDataPath } from '../../helpers/store.ts'

const tablesDoc = readFileSync('docs/tables.md', 'utf8')
const examplesDoc = readFileSync('docs/sql-examples.md', 'utf8')

/** `## table` sections of docs/tables.md and the first cell of each row of their column table. */
function documentedColumns(markdown: string): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>()
  let current: Set<string> | undefined
  for (const line of markdown.split('\n')) {
    const heading = /^## (\S+)$/.exec(line)
    if (heading !== null) tables.set(heading[1]!, (current = new Set()))
    const cell = /^\| `([^`]+)` +\|/.exec(line)
    if (cell !== null) current?.add(cell[1]!)
  }
  return tables
}

let store: Store
let sql: SqlConsole

beforeAll(async () => {
  store = await createMigratedTestStore()
  // With clickhouse.otelTraces.table set, migrate adds the otel_spans view: documented too.
  const otelTable = `${store.database}_otel.otel_traces`
  await store.client.command({ query: `CREATE DATABASE ${store.database}_otel` })
  await store.client.command({ query: otelTracesDdl(otelTable) })
  await migrate({
    store,
    ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays,
    configured: toConfiguredSpanSource(store.database, {
      clickhouse: {
        ...DEFAULT_CONFIG.clickhouse,
        otelTraces: { ...DEFAULT_CONFIG.clickhouse.otelTraces, table: otelTable },
      },
      mapping: DEFAULT_CONFIG.mapping,
    }).statements,
  })
  // So do the views `release-health otel-traces rollup` adds.
  for (const statement of toOtelRollupViewStatements(
    store.database,
    otelTable,
    DEFAULT_CONFIG.mapping,
    Date.UTC(2026, 10, 20, 10, 0),
  )) {
    await store.client.command({ query: statement })
  }
  sql = createSqlConsole({
    clickhouse: {
      ...DEFAULT_CONFIG.clickhouse,
      url: process.env.RH_TEST_CLICKHOUSE_URL ?? '',
      dataPath: testDataPath(),
      database: store.database,
    },
    limits: DEFAULT_CONFIG.sql,
  })
})
afterAll(async () => {
  await sql.close()
  await store.close()
})

describe('docs/tables.md', () => {
  it('documents every table and every column of a migrated store, and nothing that is not there', async () => {
    const columns = await queryRows<{ table: string; name: string }>(
      store,
      'SELECT table, name FROM system.columns WHERE database = {db:String} ORDER BY table, position',
      { db: store.database },
    )
    const actual = new Map<string, Set<string>>()
    for (const { table, name } of columns) {
      actual.set(table, (actual.get(table) ?? new Set()).add(name))
    }
    const documented = documentedColumns(tablesDoc)
    const asLists = (map: Map<string, Set<string>>) =>
      Object.fromEntries([...map].map(([table, names]) => [table, [...names].sort()]))
    expect(asLists(documented)).toEqual(asLists(actual))
  })
})

describe('docs/sql-examples.md', () => {
  const examples = [...examplesDoc.matchAll(/^## (.+)\n\n```sql\n([\s\S]*?)```/gm)].map(
    (match) => [match[1]!, match[2]!] as const,
  )

  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6)
  })

  it.each(examples)('runs "%s" through the read-only SQL path', async (_title, query) => {
    const result = await sql.run(query)
    expect(result.columns.length).toBeGreaterThan(0)
  })
})
