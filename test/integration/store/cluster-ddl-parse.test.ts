import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import {
  toClusterBookkeeping,
  toClusterMigrations,
  toClusterStatements,
} from '../../../src/store/cluster-ddl.ts'
import { bookkeepingStatements } from '../../../src/store/migrate.ts'
import { toConfiguredSpanSource } from '../../../src/store/otel-traces.ts'
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
    migration.statements.map((statement) => statement.replaceAll('{db}', DB)),
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

let store: Store
beforeAll(() => {
  store = createTestStore()
})
afterAll(() => store.close())

describe('the cluster DDL', () => {
  it('has a statement for every kind of schema change', () => {
    expect(generated.length).toBeGreaterThanOrEqual(30)
  })

  it.each(generated.map((statement) => [statement.split('\n')[0]!.slice(0, 90), statement]))(
    'parses: %s',
    async (_title, statement) => {
      const [row] = await queryRows<{ formatted: string }>(
        store,
        'SELECT formatQuery({statement:String}) AS formatted',
        { statement },
      )
      const formatted = row?.formatted ?? ''
      if (!statement.startsWith('INSERT')) expect(formatted).toContain(`ON CLUSTER ${CLUSTER}`)
      // What the parser read back is the statement, not a prefix of it.
      expect(formatted.replace(/\s+/g, '').length).toBeGreaterThan(
        statement.replace(/\s+/g, '').length * 0.8,
      )
    },
  )
})
