import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts'
import { createStore, type Store } from '../../src/store/store-client.ts'
import { migrate } from '../../src/store/migrate.ts'
import { selectRows } from '../../src/store/select-rows.ts'

/** A name unique to this test run, for databases and topics. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

let embeddedDataPath: string | undefined

/** This process's embedded data directory: chDB opens one per process. */
export function testDataPath(): string {
  embeddedDataPath ??= mkdtempSync(join(tmpdir(), 'rh-chdb-'))
  return embeddedDataPath
}

/**
 * A fresh database in this process's embedded engine (one chDB data directory per test
 * process), or on the server named by RH_TEST_CLICKHOUSE_URL when set.
 */
export function createTestStore(options: { database?: string } = {}): Store {
  return createStore({
    ...DEFAULT_CONFIG.clickhouse,
    url: process.env.RH_TEST_CLICKHOUSE_URL ?? '',
    dataPath: testDataPath(),
    database: options.database ?? uniqueName('rh_test'),
  })
}

export async function createMigratedTestStore(): Promise<Store> {
  const store = createTestStore()
  await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
  return store
}

/** Runs a query with bound parameters and returns its rows. */
export const queryRows = selectRows

/** Polls `check` until it returns a value other than undefined, or fails after the deadline. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
