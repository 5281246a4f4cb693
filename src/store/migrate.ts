import { randomUUID } from 'node:crypto'
import { RhError, toMessage } from '../errors.ts'
import {
  toClusterBookkeeping,
  toClusterMigrations,
  toClusterStatements,
  toLocalTable,
} from './cluster-ddl.ts'
import { insertRows } from './insert-rows.ts'
import { toDeduplicationToken } from './safe-settings.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { MIGRATIONS, ttlStatements, type Migration } from './schema.ts'
import type { Store } from './store-client.ts'
import { selectRows } from './select-rows.ts'

export interface MigrateOptions {
  readonly store: Store
  readonly ttlDays: number
  readonly logger?: Logger
  readonly migrations?: readonly Migration[]
  /**
   * Statements derived from the configuration, run after the migrations every time (each is
   * idempotent, e.g. `CREATE OR REPLACE VIEW`): the `otel_spans` view.
   */
  readonly configured?: readonly string[]
  /**
   * `clickhouse.cluster`: every statement in its cluster form (`src/store/cluster-ddl.ts`);
   * '' or omitted = one server.
   */
  readonly cluster?: string
  /**
   * How long a claim on a migration holds: another process waits this long for it to be
   * applied before it claims the migration itself (the claimer died mid-way).
   */
  readonly claimLeaseMs?: number
  /** How often a waiting process looks whether a claimed migration was applied. */
  readonly pollMs?: number
}

/** Long enough for the slowest migration, a backfill of latency samples from raw spans. */
export const DEFAULT_CLAIM_LEASE_MS = 15 * 60_000
const DEFAULT_POLL_MS = 250

export interface MigrateResult {
  readonly applied: readonly number[]
  readonly ttlChanged: readonly string[]
}

/**
 * Brings the database to the latest schema version; running it again changes nothing. Several
 * processes may run it at once (every `serve` migrates at start): each migration is claimed
 * first, through a write whose deduplication token is the migration's version and attempt, so
 * the store keeps one claim; the winner applies it and the others wait until it is recorded.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { store, logger = silentLogger } = options
  const cluster = options.cluster ?? ''
  const forCluster = (statements: readonly string[]) =>
    cluster === '' ? statements : toClusterBookkeeping(statements, cluster)
  const migrations =
    cluster === ''
      ? (options.migrations ?? MIGRATIONS)
      : toClusterMigrations(options.migrations ?? MIGRATIONS, cluster)
  for (const statement of forCluster(bookkeepingStatements(store.database))) {
    await run(store, statement, 0)
  }
  const claims = {
    me: randomUUID(),
    leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
    pollMs: options.pollMs ?? DEFAULT_POLL_MS,
  }
  const applied: number[] = []
  for (const migration of migrations) {
    if (await applyOnce(store, migration, claims, logger)) {
      applied.push(migration.version)
      logger.info({ version: migration.version, name: migration.name }, 'migration applied')
    }
  }
  for (const statement of forCluster(options.configured ?? [])) await run(store, statement, 0)
  const ttlChanged = await applyTtl(store, options.ttlDays, cluster)
  return { applied, ttlChanged }
}

/** The tables `migrate` keeps its own records in, created before any migration. */
export function bookkeepingStatements(db: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
      version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migration_claims (
      version UInt32, attempt UInt32, claimed_by String,
      claimed_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY (version, attempt)
    SETTINGS non_replicated_deduplication_window = 1000`,
  ]
}

interface Claims {
  readonly me: string
  readonly leaseMs: number
  readonly pollMs: number
}

/**
 * Applies a migration unless it is applied already or another process applies it (then waits
 * for that); true when this process applied it.
 */
async function applyOnce(
  store: Store,
  migration: Migration,
  claims: Claims,
  logger: Logger,
): Promise<boolean> {
  const db = store.database
  let waiting = false
  for (;;) {
    if ((await appliedVersions(store)).includes(migration.version)) return false
    const latest = await latestClaim(store, migration.version)
    if (latest !== undefined && latest.ageMs < claims.leaseMs) {
      if (!waiting) {
        logger.info(
          { version: migration.version, claimAgeMs: latest.ageMs, leaseMs: claims.leaseMs },
          'waiting for another process to apply a migration',
        )
        waiting = true
      }
      await new Promise((resolve) => setTimeout(resolve, claims.pollMs))
      continue
    }
    const attempt = latest === undefined ? 0 : latest.attempt + 1
    await insertRows(store, {
      table: 'schema_migration_claims',
      rows: [{ version: migration.version, attempt, claimed_by: claims.me }],
      deduplicationToken: toDeduplicationToken('migration-claim', [migration.version, attempt]),
    })
    const winner = await selectRows<{ claimed_by: string }>(
      store,
      `SELECT claimed_by FROM ${db}.schema_migration_claims
       WHERE version = {version:UInt32} AND attempt = {attempt:UInt32} LIMIT 1`,
      { version: migration.version, attempt },
    )
    if (winner[0]?.claimed_by !== claims.me) continue
    // Applied by a process that claimed it before us and was slower than the lease?
    if ((await appliedVersions(store)).includes(migration.version)) return false
    for (const statement of migration.statements) {
      await run(store, statement.replaceAll('{db}', db), migration.version)
    }
    for (const statement of migration.tuning ?? []) {
      await runTuning(store, statement.replaceAll('{db}', db), migration.version, logger)
    }
    await store.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    })
    return true
  }
}

/** The newest claim on a version and its age by the store's clock (processes' clocks differ). */
async function latestClaim(
  store: Store,
  version: number,
): Promise<{ attempt: number; ageMs: number } | undefined> {
  const [row] = await selectRows<{ attempt: number | string; age_ms: number | string }>(
    store,
    `SELECT attempt, dateDiff('millisecond', claimed_at, now64(3, 'UTC')) AS age_ms
     FROM ${store.database}.schema_migration_claims
     WHERE version = {version:UInt32} ORDER BY attempt DESC LIMIT 1`,
    { version },
  )
  return row === undefined ? undefined : { attempt: Number(row.attempt), ageMs: Number(row.age_ms) }
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

async function applyTtl(store: Store, ttlDays: number, cluster: string): Promise<string[]> {
  const changed: string[] = []
  for (const { table, days, ttl } of ttlStatements(ttlDays)) {
    const current = await createTableQuery(store, cluster === '' ? table : toLocalTable(table))
    // A table of a later migration than the ones given (tests migrate with their own lists).
    if (current === '') continue
    // ClickHouse normalises the TTL expression in the stored CREATE statement; comparing the
    // interval literal is enough to know whether it already holds.
    if (current.includes(` TTL `) && current.includes(`toIntervalDay(${days})`)) continue
    const statement = `ALTER TABLE ${store.database}.${table} MODIFY TTL ${ttl} SETTINGS materialize_ttl_after_modify = 0`
    for (const each of cluster === '' ? [statement] : toClusterStatements(statement, cluster)) {
      await run(store, each, 0)
    }
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

/** ClickHouse's error code for a setting the server does not know. */
const UNKNOWN_SETTING = '115'

/** A tuning statement: skipped with a warning when the server does not know its setting. */
async function runTuning(
  store: Store,
  statement: string,
  version: number,
  logger: Logger,
): Promise<void> {
  try {
    await run(store, statement, version)
  } catch (error) {
    // `run` wraps the client's error; its code is ClickHouse's.
    const cause = (error as Error).cause as { code?: unknown } | undefined
    if (cause?.code !== UNKNOWN_SETTING) throw error
    logger.warn(
      { version, statement: statement.slice(0, 200), err: toMessage(error) },
      'the server does not know a setting this migration tunes; skipped (a newer ClickHouse would apply it)',
    )
  }
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
