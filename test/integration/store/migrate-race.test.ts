import { afterAll, describe, expect, it } from 'vitest'
import { migrate } from '../../../src/store/migrate.ts'
import type { Migration } from '../../../src/store/schema.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { silentLogger } from '../../../src/logger.ts'
import { createTestStore, queryRows, waitFor } from '../../helpers/store.ts'

// Migrations whose second statement is not idempotent: applied twice, `counter` holds 2 rows.
const COUNTING: readonly Migration[] = [
  {
    version: 1,
    name: 'a table',
    statements: [
      'CREATE TABLE IF NOT EXISTS {db}.counter (n UInt8) ENGINE = MergeTree ORDER BY n',
      'INSERT INTO {db}.counter VALUES (1)',
    ],
  },
  { version: 2, name: 'a row more', statements: ['INSERT INTO {db}.counter VALUES (2)'] },
]

const stores: Store[] = []
afterAll(() => Promise.all(stores.map((store) => store.close())))

function freshStore(): Store {
  const store = createTestStore()
  stores.push(store)
  return store
}

async function counted(store: Store): Promise<number[]> {
  const rows = await queryRows<{ n: number }>(
    store,
    `SELECT n FROM ${store.database}.counter ORDER BY n`,
  )
  return rows.map((row) => Number(row.n))
}

describe('migrate run by several processes at once', () => {
  it('applies each migration once, by one of them, while the others wait for it', async () => {
    const store = freshStore()
    const results = await Promise.all(
      [1, 2, 3].map(() => migrate({ store, ttlDays: 30, migrations: COUNTING, pollMs: 10 })),
    )
    const applied = results.flatMap((result) => result.applied).sort()
    expect(applied).toEqual([1, 2])
    expect(await counted(store)).toEqual([1, 2])
    const recorded = await queryRows<{ version: number }>(
      store,
      `SELECT version FROM ${store.database}.schema_migrations ORDER BY version`,
    )
    expect(recorded.map((row) => Number(row.version))).toEqual([1, 2])
  })

  it('takes over a migration whose claimer stopped before applying it, once its lease ran out', async () => {
    const store = freshStore()
    // A process claimed migration 1 and died: its claim is older than the lease.
    await migrate({ store, ttlDays: 30, migrations: [] })
    await store.client.command({
      query: `INSERT INTO ${store.database}.schema_migration_claims (version, attempt, claimed_by, claimed_at)
              VALUES (1, 0, 'a process that died', now64(3) - INTERVAL 1 HOUR)`,
    })
    const result = await migrate({
      store,
      ttlDays: 30,
      migrations: COUNTING,
      claimLeaseMs: 60_000,
      pollMs: 10,
    })
    expect(result.applied).toEqual([1, 2])
    expect(await counted(store)).toEqual([1, 2])
  })

  it('waits for a migration claimed by a live process, and applies none of it itself', async () => {
    const store = freshStore()
    await migrate({ store, ttlDays: 30, migrations: [] })
    await store.client.command({
      query: `INSERT INTO ${store.database}.schema_migration_claims (version, attempt, claimed_by)
              VALUES (1, 0, 'a live process')`,
    })
    const logged: string[] = []
    const logger = { ...silentLogger, info: (_: object, message: string) => logged.push(message) }
    const waiting = migrate({ store, ttlDays: 30, migrations: COUNTING, pollMs: 10, logger })
    await waitFor(() =>
      logged.includes('waiting for another process to apply a migration') ? true : undefined,
    )
    // The live process applies migration 1 and records it; the waiting one goes on from 2.
    await store.client.command({
      query: `CREATE TABLE ${store.database}.counter (n UInt8) ENGINE = MergeTree ORDER BY n`,
    })
    await store.client.command({ query: `INSERT INTO ${store.database}.counter VALUES (7)` })
    await store.client.command({
      query: `INSERT INTO ${store.database}.schema_migrations (version, name) VALUES (1, 'a table')`,
    })
    expect((await waiting).applied).toEqual([2])
    expect(await counted(store)).toEqual([2, 7])
  })
})
