import { mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { RhError, toMessage } from '../errors.ts'
import type { Config } from '../config/defaults.ts'

/** The one way the project talks to ClickHouse, embedded or server, and where its tables live. */
export interface Store {
  readonly client: ClickHouseClient
  /** Database holding every release-health table; validated as a plain identifier. */
  readonly database: string
  readonly kind: 'embedded' | 'server'
  /** Human description for logs: the server URL or the embedded data directory. */
  readonly location: string
  close(): Promise<void>
}

/**
 * Settings sent with every request, so that the embedded engine and a server behave alike:
 * - 64-bit integers come back as JSON strings (a server's default; chDB's is numbers, which
 *   lose precision past 2^53);
 * - every setting some request varies has an explicit value on every request, because chDB
 *   applies a request's settings as SET statements that persist in its session: without this
 *   an insert would inherit the previous insert's deduplication token and be dropped.
 */
const COMMON_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  date_time_output_format: 'iso',
  insert_deduplication_token: '',
  insert_deduplicate: 1,
  deduplicate_blocks_in_dependent_materialized_views: 1,
  async_insert: 0,
  input_format_skip_unknown_fields: 0,
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
    mkdirSync(options.dataPath, { recursive: true })
    const client = createClient({
      connection: toClientConnection(createChdbConnection({ path: options.dataPath })),
      clickhouse_settings: COMMON_SETTINGS,
    })
    return toStore(client, options.database, 'embedded', `embedded chDB in ${options.dataPath}`)
  }
  const client = createClient({
    url: options.url,
    username: options.username,
    password: options.password,
    request_timeout: options.requestTimeoutMs,
    clickhouse_settings: COMMON_SETTINGS,
  })
  return toStore(client, options.database, 'server', redactUrl(options.url))
}

function toStore(
  client: ClickHouseClient,
  database: string,
  kind: Store['kind'],
  location: string,
): Store {
  return { client, database, kind, location, close: () => client.close() }
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

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * chDB implements `@clickhouse/client-common`'s Connection contract, but it resolves its own
 * copy of that package, whose settings type differs only under exactOptionalPropertyTypes.
 */
function toClientConnection(connection: ReturnType<typeof createChdbConnection>): ClientConnection {
  return connection as unknown as ClientConnection
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
