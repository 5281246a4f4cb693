import { RhError, toMessage } from '../errors.ts'
import type { Store } from './store-client.ts'
import { withRetry, type RetryOptions } from './retry.ts'

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

/**
 * Inserts rows into one table of the release-health database, retrying passing failures with
 * the same deduplication token so that a write is applied exactly once. Throws
 * `RH_STORE_WRITE_FAILED` once retries are exhausted or the failure is permanent.
 */
export async function insertRows(store: Store, options: InsertRowsOptions): Promise<void> {
  if (options.rows.length === 0) return
  try {
    await withRetry(
      () =>
        store.client.insert({
          table: `${store.database}.${options.table}`,
          values: options.rows as object[],
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplication_token: options.deduplicationToken,
            insert_deduplicate: 1,
            // Without this a retried block would be skipped in the table but counted again
            // in the per-minute rollup fed by the materialized view.
            deduplicate_blocks_in_dependent_materialized_views: 1,
            async_insert: 0,
            // A field that matches no column is a bug in the row mapping: fail loudly rather
            // than store the row with that column defaulted.
            input_format_skip_unknown_fields: 0,
          },
        }),
      options.retry,
    )
  } catch (error) {
    throw new RhError(
      'RH_STORE_WRITE_FAILED',
      `writing ${options.rows.length} rows to ${options.table} failed: ${toMessage(error)}`,
      { cause: error, retryAfterSeconds: 5 },
    )
  }
}
