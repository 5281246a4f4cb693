import type { ClickHouseSettings } from '@clickhouse/client'
import { RhError, toMessage } from '../errors.ts'
import type { Store } from './store-client.ts'
import { withRetry, type RetryOptions } from './retry.ts'
import { assertSafeSettings } from './safe-settings.ts'

export interface InsertRowsOptions {
  readonly table: string
  readonly rows: readonly object[]
  /**
   * Same token, same rows => ClickHouse stores them once. A retried batch (after a timeout, a
   * crash and replay of Kafka offsets) must carry the token of its first attempt.
   */
  readonly deduplicationToken: string
  readonly retry?: RetryOptions
}

export interface InsertCompactRowsOptions extends InsertRowsOptions {
  /** Every field of the rows, in the order they are sent, e.g. `TABLE_COLUMNS.spans`. */
  readonly columns: readonly string[]
}

/**
 * Inserts rows as JSON objects (JSONEachRow) into one table of the release-health database,
 * retrying passing failures with the same deduplication token so that a write is applied
 * exactly once. Throws `RH_STORE_WRITE_FAILED` once retries are exhausted or the failure is
 * permanent. For small writes; bulk ingest uses {@link insertCompactRows}.
 */
export async function insertRows(store: Store, options: InsertRowsOptions): Promise<void> {
  if (options.rows.length === 0) return
  await insertWithRetry(store, options, () =>
    store.client.insert({
      table: `${store.database}.${options.table}`,
      values: options.rows,
      format: 'JSONEachRow',
      clickhouse_settings: insertSettings(options.deduplicationToken),
    }),
  )
}

/**
 * {@link insertRows} in JSONCompactEachRow: each row is a JSON array in `columns` order. The
 * body is about half as large and ClickHouse parses it about twice as fast
 * (benchmarks/RESULTS.md, Kafka ingestion), which is why the ingest paths use it.
 */
export async function insertCompactRows(
  store: Store,
  options: InsertCompactRowsOptions,
): Promise<void> {
  const { columns, rows } = options
  if (rows.length === 0) return
  await insertWithRetry(store, options, () =>
    store.client.insert({
      table: `${store.database}.${options.table}`,
      values: rows.map((row) =>
        columns.map((column) => (row as Readonly<Record<string, unknown>>)[column]),
      ),
      columns: [...columns] as [string, ...string[]],
      format: 'JSONCompactEachRow',
      clickhouse_settings: insertSettings(options.deduplicationToken),
    }),
  )
}

function insertSettings(deduplicationToken: string): ClickHouseSettings {
  return assertSafeSettings({
    insert_deduplication_token: deduplicationToken,
    insert_deduplicate: 1,
    // Without this a retried block would be skipped in the table but counted again in the
    // per-minute rollup fed by the materialized view.
    deduplicate_blocks_in_dependent_materialized_views: 1,
    async_insert: 0,
    // A field that matches no column is a bug in the row mapping: fail loudly rather than
    // store the row with that column defaulted.
    input_format_skip_unknown_fields: 0,
  })
}

async function insertWithRetry(
  store: Store,
  options: InsertRowsOptions,
  insert: () => Promise<unknown>,
): Promise<void> {
  try {
    await withRetry(insert, options.retry)
  } catch (error) {
    throw new RhError(
      'RH_STORE_WRITE_FAILED',
      `writing ${options.rows.length} rows to ${options.table} failed: ${toMessage(error)}`,
      { cause: error, retryAfterSeconds: 5 },
    )
  }
}
