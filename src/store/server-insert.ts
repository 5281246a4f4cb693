import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import { toInsertSettingsClause, toInsertTarget } from './insert-statement.ts'
import type { InsertBytesOptions } from './store-client.ts'

/**
 * Inserts into a ClickHouse server over HTTP: the statement goes in the URL, the body is
 * streamed as it is (Native bytes or JSON rows), as the HTTP interface takes any input format.
 */
export function createServerInserter(
  client: ClickHouseClient,
  database: string,
  options: { readonly cluster?: boolean } = {},
): (options: InsertBytesOptions) => Promise<void> {
  const { cluster = false } = options
  return async (options) => {
    const query = `${toInsertTarget(database, options.table, options.columns)} ${toInsertSettingsClause(options, { cluster })} FORMAT ${options.format}`
    const body = Buffer.from(options.body.buffer, options.body.byteOffset, options.body.byteLength)
    const result = await client.exec({ query, values: Readable.from([body]) })
    // Nothing to read, but the response must be consumed for the socket to be reused.
    result.stream.resume()
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve)
      result.stream.once('error', reject)
    })
  }
}
