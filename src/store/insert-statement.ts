import type { ClickHouseSettings } from '@clickhouse/client'
import { RhError } from '../errors.ts'
import { CLUSTER_INSERT_SETTINGS } from './cluster-ddl.ts'
import { assertSafeSettings } from './safe-settings.ts'

/**
 * The settings of every insert, written into the INSERT statement's own SETTINGS clause:
 * never as `SET` statements, which the embedded engine would run before each insert (a
 * measurable cost) and keep for the rest of its session.
 */
export interface InsertSettings {
  /**
   * Same token, same rows => ClickHouse stores them once. A retried batch (after a timeout, a
   * crash and replay of Kafka offsets) must carry the token of its first attempt.
   */
  readonly deduplicationToken: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * `INSERT INTO db.table (c1, c2)`, or every column when `columns` is omitted: identifiers
 * checked, as they end up in SQL text.
 */
export function toInsertTarget(
  database: string,
  table: string,
  columns: readonly string[] | undefined,
): string {
  for (const name of [database, table, ...(columns ?? [])]) {
    if (!IDENTIFIER.test(name)) {
      throw new RhError(
        'RH_INTERNAL',
        `refusing to insert: ${JSON.stringify(name)} is not a plain identifier`,
      )
    }
  }
  const list = columns === undefined ? '' : ` (${columns.join(', ')})`
  return `INSERT INTO ${database}.${table}${list}`
}

/**
 * The settings of an insert as name -> value, checked by the store's one guard against a
 * request value reaching SQL text (`assertSafeSettings`).
 */
export function toInsertSettings(
  settings: InsertSettings,
  options: { readonly cluster?: boolean } = {},
): Readonly<Record<string, string | number>> {
  const values: Record<string, string | number> = {
    insert_deduplication_token: settings.deduplicationToken,
    insert_deduplicate: 1,
    // Without this a retried block would be skipped in the table but counted again in the
    // per-minute rollups fed by materialized views.
    deduplicate_blocks_in_dependent_materialized_views: 1,
    async_insert: 0,
    // A field that matches no column is a bug in the row mapping: fail loudly rather than
    // store the row with that column defaulted.
    input_format_skip_unknown_fields: 0,
    // On a cluster, a Distributed table writes each shard's rows inside the INSERT, with its
    // token, so that a retry is deduplicated on every shard (src/store/cluster-ddl.ts).
    ...(options.cluster === true ? CLUSTER_INSERT_SETTINGS : {}),
  }
  assertSafeSettings(values as ClickHouseSettings)
  return values
}

/** The SETTINGS clause of an insert, e.g. `SETTINGS insert_deduplication_token = 'ab12', ...`. */
export function toInsertSettingsClause(
  settings: InsertSettings,
  options: { readonly cluster?: boolean } = {},
): string {
  const values = Object.entries(toInsertSettings(settings, options))
  return `SETTINGS ${values
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`)
    .join(', ')}`
}
