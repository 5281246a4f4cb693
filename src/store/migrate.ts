import { RhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { MIGRATIONS, ttlStatements, type Migration } from './schema.ts'
import type { Store } from './store-client.ts'
import { selectRows } from './select-rows.ts'

export interface MigrateOptions {
  readonly store: Store
  readonly ttlDays: number
  readonly logger?: Logger
  readonly migrations?: readonly Migration[]
}

export interface MigrateResult {
  readonly applied: readonly number[]
  readonly ttlChanged: readonly string[]
}

/** Brings the database to the latest schema version; running it again changes nothing. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { store, logger = silentLogger, migrations = MIGRATIONS } = options
  const db = store.database
  await run(store, `CREATE DATABASE IF NOT EXISTS ${db}`, 0)
  await run(
    store,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
      version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
    0,
  )
  const done = new Set(await appliedVersions(store))
  const applied: number[] = []
  for (const migration of migrations) {
    if (done.has(migration.version)) continue
    for (const statement of migration.statements) {
      await run(store, statement.replaceAll('{db}', db), migration.version)
    }
    await store.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    })
    applied.push(migration.version)
    logger.info({ version: migration.version, name: migration.name }, 'migration applied')
  }
  const ttlChanged = await applyTtl(store, options.ttlDays)
  return { applied, ttlChanged }
}

/** Versions recorded as applied, ascending. */
export async function appliedVersions(store: Store): Promise<number[]> {
  const rows = await selectRows<{ version: number | string }>(
    store,
    `SELECT DISTINCT version FROM ${store.database}.schema_migrations ORDER BY version`,
  )
  return rows.map((row) => Number(row.version))
}

/** True when every known migration is applied: what `/readyz` reports. */
export async function isSchemaCurrent(store: Store): Promise<boolean> {
  try {
    const versions = new Set(await appliedVersions(store))
    return MIGRATIONS.every((migration) => versions.has(migration.version))
  } catch {
    return false
  }
}

async function applyTtl(store: Store, ttlDays: number): Promise<string[]> {
  const changed: string[] = []
  for (const { table, days, ttl } of ttlStatements(ttlDays)) {
    const current = await createTableQuery(store, table)
    // ClickHouse normalises the TTL expression in the stored CREATE statement; comparing the
    // interval literal is enough to know whether it already holds.
    if (current.includes(` TTL `) && current.includes(`toIntervalDay(${days})`)) continue
    await run(
      store,
      `ALTER TABLE ${store.database}.${table} MODIFY TTL ${ttl} SETTINGS materialize_ttl_after_modify = 0`,
      0,
    )
    changed.push(table)
  }
  return changed
}

async function createTableQuery(store: Store, table: string): Promise<string> {
  const rows = await selectRows<{ create_table_query: string }>(
    store,
    'SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    { db: store.database, table },
  )
  return rows[0]?.create_table_query ?? ''
}

async function run(store: Store, statement: string, version: number): Promise<void> {
  try {
    await store.client.command({ query: statement })
  } catch (error) {
    throw new RhError(
      'RH_STORE_MIGRATION_FAILED',
      `migration ${version} failed on ${store.location}: ${toMessage(error)}\nstatement: ${statement.slice(0, 200)}`,
      { cause: error },
    )
  }
}
