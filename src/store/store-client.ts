import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { RhError, toMessage } from '../errors.ts'
import type { Config } from '../config/defaults.ts'
import { createEmbeddedStore } from './embedded-store.ts'
import type { InsertSettings } from './insert-statement.ts'
import { createServerInserter } from './server-insert.ts'
import { toClusterName } from './cluster-ddl.ts'

/** The one way the project talks to ClickHouse, embedded or server, and where its tables live. */
export interface Store {
  readonly client: ClickHouseClient
  /** Database holding every release-health table; validated as a plain identifier. */
  readonly database: string
  readonly kind: 'embedded' | 'server'
  /** Human description for logs: the server URL or the embedded data directory. */
  readonly location: string
  /**
   * Inserts an encoded body into a table of the database, by the fastest path the store
   * offers; settings travel in the statement, never as session state. Rejects with the
   * store's error (see `retry.ts` for which are passing).
   */
  insertBytes(options: InsertBytesOptions): Promise<void>
  close(): Promise<void>
}

/** Formats release-health writes: binary columns for bulk ingest, JSON rows for the rest. */
export type InsertFormat = 'Native' | 'JSONEachRow' | 'JSONCompactEachRow'

export interface InsertBytesOptions extends InsertSettings {
  /** A table of the release-health database, e.g. `spans`. */
  readonly table: string
  /** The columns the body holds, in its order; omitted: all, or those JSON rows name. */
  readonly columns?: readonly string[]
  readonly format: InsertFormat
  readonly body: Uint8Array
}

/**
 * Settings of every request to a server, so that it answers as the embedded engine is set up
 * to (`embedded-store.ts` sets the same once per session): 64-bit integers as JSON strings
 * (numbers lose precision past 2^53) and ISO date-times.
 */
export const OUTPUT_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  date_time_output_format: 'iso',
} as const

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

export function createStore(options: Config['clickhouse']): Store {
  if (!IDENTIFIER.test(options.database)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "clickhouse.database" must be a plain identifier (letters, digits, _), got ${JSON.stringify(options.database)}`,
    )
  }
  if (options.url === '') {
    if (options.cluster !== '') {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `config key "clickhouse.cluster" (${JSON.stringify(options.cluster)}) needs a ClickHouse server: set clickhouse.url (RH_CLICKHOUSE_URL) to one of the cluster's servers`,
      )
    }
    return createEmbeddedStore(options)
  }
  const cluster = options.cluster === '' ? undefined : toClusterName(options.cluster)
  const client = createClient({
    url: options.url,
    username: options.username,
    password: options.password,
    request_timeout: options.requestTimeoutMs,
    clickhouse_settings: OUTPUT_SETTINGS,
  })
  return {
    client,
    database: options.database,
    kind: 'server',
    location: redactUrl(options.url),
    insertBytes: createServerInserter(client, options.database, {
      cluster: cluster !== undefined,
    }),
    close: () => client.close(),
  }
}

/**
 * Fails with a clear startup error when the store does not answer, instead of letting the
 * first ingest request discover it.
 */
export async function assertReachable(store: Store): Promise<void> {
  let result: Awaited<ReturnType<ClickHouseClient['ping']>>
  try {
    result = await store.client.ping()
  } catch (error) {
    result = { success: false, error: error instanceof Error ? error : new Error(String(error)) }
  }
  if (!result.success) {
    const hint =
      store.kind === 'server'
        ? 'check clickhouse.url (RH_CLICKHOUSE_URL), the credentials and the network, or leave the URL empty to use the embedded engine'
        : 'check that clickhouse.dataPath (RH_CLICKHOUSE_DATA_PATH) is a writable directory not used by another process'
    throw new RhError(
      'RH_STORE_UNREACHABLE',
      `ClickHouse (${store.location}) did not answer: ${toMessage(result.error)}; ${hint}`,
      { cause: result.error },
    )
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "clickhouse.url" is not a URL: ${JSON.stringify(url)}`,
    )
  }
}
