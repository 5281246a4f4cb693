import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import {
  toClusterBookkeeping,
  toClusterMigrations,
  toClusterStatements,
} from '../../../src/store/cluster-ddl.ts'
import { bookkeepingStatements } from '../../../src/store/migrate.ts'
import { toConfiguredSpanSource } from '../../../src/store/otel-traces.ts'
import {
  toOtelRollupBackfillStatements,
  toOtelRollupDropStatements,
  toOtelRollupViewStatements,
} from '../../../src/store/otel-rollup.ts'
import { MIGRATIONS, ttlStatements } from '../../../src/store/schema.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createTestStore, queryRows } from '../../helpers/store.ts'

// The embedded engine has no cluster to run these on, but its parser is the server's: every
// statement a cluster migration sends is parsed here, so that no typo reaches a cluster.
const CLUSTER = 'rh_cluster'
const DB = 'release_health'

const generated: string[] = [
  ...toClusterBookkeeping(bookkeepingStatements(DB), CLUSTER),
  ...toClusterMigrations(MIGRATIONS, CLUSTER).flatMap((migration) =>
    [...migration.statements, ...(migration.tuning ?? [])].map((statement) =>
      statement.replaceAll('{db}', DB),
    ),
  ),
  ...ttlStatements(30).flatMap(({ table, ttl }) =>
    toClusterStatements(
      `ALTER TABLE ${DB}.${table} MODIFY TTL ${ttl} SETTINGS materialize_ttl_after_modify = 0`,
      CLUSTER,
    ),
  ),
  ...toClusterBookkeeping(
    toConfiguredSpanSource(DB, {
      clickhouse: {
        ...DEFAULT_CONFIG.clickhouse,
        otelTraces: { ...DEFAULT_CONFIG.clickhouse.otelTraces, table: 'otel.otel_traces' },
      },
      mapping: DEFAULT_CONFIG.mapping,
    }).statements,
    CLUSTER,
  ),
]

// The exporter table's rollup (`release-health otel-traces rollup`), made on request.
const CUTOVER_MS = Date.UTC(2026, 10, 20, 10, 0)
const rollup = [
  ...toOtelRollupViewStatements(DB, 'otel.otel_traces', DEFAULT_CONFIG.mapping, CUTOVER_MS),
  ...toOtelRollupBackfillStatements(DB, 'otel.otel_traces', DEFAULT_CONFIG.mapping, CUTOVER_MS),
  ...toOtelRollupDropStatements(DB),
]
generated.push(...rollup.flatMap((statement) => toClusterStatements(statement, CLUSTER)))

let store: Store
beforeAll(() => {
  store = createTestStore()
})
afterAll(() => store.close())

async function formatted(statement: string): Promise<string> {
  const [row] = await queryRows<{ formatted: string }>(
    store,
    'SELECT formatQuery({statement:String}) AS formatted',
    { statement },
  )
  return row?.formatted ?? ''
}

describe("the exporter table's rollup statements on one server", () => {
  it.each(rollup.map((statement) => [statement.split('\n')[0]!.slice(0, 90), statement]))(
    'parse: %s',
    async (_title, statement) => {
      const text = await formatted(statement)
      expect(text).not.toContain('ON CLUSTER')
      expect(text.replace(/\s+/g, '').length).toBeGreaterThan(
        statement.replace(/\s+/g, '').length * 0.8,
      )
    },
  )
})

describe('the cluster DDL', () => {
  it('has a statement for every kind of schema change', () => {
    expect(generated.length).toBeGreaterThanOrEqual(30)
  })

  it.each(generated.map((statement) => [statement.split('\n')[0]!.slice(0, 90), statement]))(
    'parses: %s',
    async (_title, statement) => {
      const text = await formatted(statement)
      if (!statement.startsWith('INSERT')) expect(text).toContain(`ON CLUSTER ${CLUSTER}`)
      // What the parser read back is the statement, not a prefix of it.
      expect(text.replace(/\s+/g, '').length).toBeGreaterThan(
        statement.replace(/\s+/g, '').length * 0.8,
      )
    },
  )
})
