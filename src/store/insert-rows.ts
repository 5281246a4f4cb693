import { isRhError, RhError, toMessage } from '../errors.ts'
import type { InsertFormat, Store } from './store-client.ts'
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

export interface InsertCompactRowsOptions extends InsertRowsOptions {
  /** Every field of the rows, in the order they are sent, e.g. `TABLE_COLUMNS.spans`. */
  readonly columns: readonly string[]
}

export interface InsertEncodedOptions {
  readonly table: string
  readonly columns?: readonly string[]
  readonly format: InsertFormat
  readonly body: Uint8Array
  /** Rows the body holds, for the error message. */
  readonly rows: number
  readonly deduplicationToken: string
  readonly retry?: RetryOptions
}

/**
 * Inserts rows as JSON objects (JSONEachRow) into one table of the release-health database,
 * retrying passing failures with the same deduplication token so that a write is applied
 * exactly once. Throws `RH_STORE_WRITE_FAILED` once retries are exhausted or the failure is
 * permanent. For small writes; bulk ingest writes Native blocks ({@link insertEncoded}).
 */
export async function insertRows(store: Store, options: InsertRowsOptions): Promise<void> {
  if (options.rows.length === 0) return
  const body = options.rows.map((row) => JSON.stringify(row)).join('\n')
  await insertEncoded(store, {
    ...options,
    format: 'JSONEachRow',
    body: Buffer.from(body),
    rows: options.rows.length,
  })
}

/**
 * {@link insertRows} in JSONCompactEachRow: each row is a JSON array in `columns` order, about
 * half the bytes of JSONEachRow and parsed about twice as fast.
 */
export async function insertCompactRows(
  store: Store,
  options: InsertCompactRowsOptions,
): Promise<void> {
  const { columns, rows } = options
  if (rows.length === 0) return
  const body = rows
    .map((row) =>
      JSON.stringify(columns.map((column) => (row as Readonly<Record<string, unknown>>)[column])),
    )
    .join('\n')
  await insertEncoded(store, {
    ...options,
    format: 'JSONCompactEachRow',
    body: Buffer.from(body),
    rows: rows.length,
  })
}

/** Inserts an encoded body with retries of passing failures under the same token. */
export async function insertEncoded(store: Store, options: InsertEncodedOptions): Promise<void> {
  try {
    await withRetry(
      () =>
        store.insertBytes({
          table: options.table,
          ...(options.columns === undefined ? {} : { columns: options.columns }),
          format: options.format,
          body: options.body,
          deduplicationToken: options.deduplicationToken,
        }),
      options.retry,
    )
  } catch (error) {
    // Our own refusals (the settings guard) are bugs to report as they are, never retriable.
    if (isRhError(error)) throw error
    throw new RhError(
      'RH_STORE_WRITE_FAILED',
      `writing ${options.rows} rows to ${options.table} failed: ${toMessage(error)}`,
      { cause: error, retryAfterSeconds: 5 },
    )
  }
}
