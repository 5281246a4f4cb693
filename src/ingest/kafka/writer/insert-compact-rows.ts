import { RhError, toMessage } from '../../../errors.ts'
import { withRetry } from '../../../store/retry.ts'
import type { Store } from '../../../store/store-client.ts'

export interface InsertCompactRowsOptions {
  readonly table: string
  /** Every field of the rows, e.g. `TABLE_COLUMNS.spans`. */
  readonly columns: readonly string[]
  readonly rows: readonly object[]
  /** The batch's token: inserting the same rows again with it stores nothing. */
  readonly deduplicationToken: string
}

/**
 * `insertRows` (src/store/insert-rows.ts) in `JSONCompactEachRow`: each row is a JSON array
 * in `columns` order instead of an object. Same settings and retries; the body is about half
 * as large, and ClickHouse parses it about twice as fast (benchmarks/RESULTS.md, Kafka
 * ingestion). Throws `RH_STORE_WRITE_FAILED` once retries are exhausted.
 */
export async function insertCompactRows(
  store: Store,
  options: InsertCompactRowsOptions,
): Promise<void> {
  const { table, columns, rows } = options
  if (rows.length === 0) return
  try {
    await withRetry(() =>
      store.client.insert({
        table: `${store.database}.${table}`,
        values: rows.map((row) =>
          columns.map((column) => (row as Readonly<Record<string, unknown>>)[column]),
        ),
        columns: [...columns] as [string, ...string[]],
        format: 'JSONCompactEachRow',
        clickhouse_settings: {
          insert_deduplication_token: options.deduplicationToken,
          insert_deduplicate: 1,
          // As in insertRows: a block dropped as a duplicate must not reach the rollup either.
          deduplicate_blocks_in_dependent_materialized_views: 1,
          async_insert: 0,
        },
      }),
    )
  } catch (error) {
    throw new RhError(
      'RH_STORE_WRITE_FAILED',
      `writing ${rows.length} rows to ${table} failed: ${toMessage(error)}`,
      { cause: error, retryAfterSeconds: 5 },
    )
  }
}
