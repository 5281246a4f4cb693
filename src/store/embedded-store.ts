import { createRequire } from 'node:module'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import type * as ChdbTypes from 'chdb'
import type * as ChdbConnectionTypes from 'chdb/connection'
import { RhError, toMessage } from '../errors.ts'
import type { Config } from '../config/defaults.ts'
import { toInsertSettings, toInsertSettingsClause, toInsertTarget } from './insert-statement.ts'
import { OUTPUT_SETTINGS, type InsertBytesOptions, type Store } from './store-client.ts'

type ChdbModule = typeof ChdbTypes
type ChdbConnectionModule = typeof ChdbConnectionTypes
type Session = InstanceType<ChdbModule['Session']>

/** Where the embedded engine has native libraries in the npm package `chdb`. */
const SUPPORTED_PLATFORMS = 'Linux x86-64 and arm64, macOS x86-64 and arm64'

const require = createRequire(import.meta.url)

/**
 * The embedded engine, chDB, in `dataPath`. It is loaded only here, so a server-backed
 * release-health runs where chDB's native library does not.
 *
 * Two sessions share the directory (chDB allows several per path, and runs them in parallel):
 * one behind `@clickhouse/client` for every query, one for inserts, so ingest does not queue
 * behind a verdict's queries. Session settings are set once, with SET, on the query session;
 * no request ever sends settings, because chDB would turn them into SET statements kept for
 * the rest of the session.
 *
 * Inserts: Native bodies are written to a private temporary file and read with `file()`.
 * chDB's inline data path is for text (its raw insert accepts text formats only, and binary
 * inline data is cut short at some byte patterns, as tested here), and a file costs a page
 * cache write, a fraction of what parsing the same rows as JSON costs the engine. JSON bodies
 * go through chDB's raw insert, which hands the bytes to the engine without copying.
 */
export function createEmbeddedStore(options: Config['clickhouse']): Store {
  const { Session, drainPending } = loadChdb('chdb')
  const { createChdbConnection } = loadChdb('chdb/connection')
  mkdirSync(options.dataPath, { recursive: true })
  const connection = createChdbConnection({ path: options.dataPath })
  const configured = configureSession(connection)
  const client = createClient({ connection: afterSetup(connection, configured) })
  const inserts: Session = new Session(options.dataPath)
  const scratch = mkdtempSync(join(tmpdir(), 'rh-inserts-'))
  let files = 0
  const database = options.database

  const insertBytes = async (insert: InsertBytesOptions): Promise<void> => {
    await configured
    const target = toInsertTarget(database, insert.table, insert.columns)
    if (insert.format !== 'Native') {
      await inserts.insert({
        table: `${database}.${insert.table}`,
        ...(insert.columns === undefined ? {} : { columns: insert.columns }),
        format: insert.format,
        values: insert.body,
        settings: { ...toInsertSettings(insert) },
      })
      return
    }
    const settings = toInsertSettingsClause(insert)
    const file = join(scratch, `${process.pid}-${files++}.native`)
    await writeFile(file, insert.body)
    try {
      await inserts.queryAsync(`${target} ${settings} SELECT * FROM file('${file}', Native)`)
    } finally {
      await unlink(file).catch(() => undefined)
    }
  }

  return {
    client,
    database,
    kind: 'embedded',
    location: `embedded chDB in ${options.dataPath}`,
    insertBytes,
    async close() {
      await client.close()
      inserts.close()
      // Closing leaves a session's connection to the engine's own teardown; waiting for it
      // lets this process open a store in another directory next (tests, benchmarks).
      await drainPending()
      rmSync(scratch, { recursive: true, force: true })
    },
  }
}

type ChdbConnection = ReturnType<ChdbConnectionModule['createChdbConnection']>
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/** The query session's settings, as a server is told them per request (`OUTPUT_SETTINGS`). */
async function configureSession(connection: ChdbConnection): Promise<void> {
  for (const [name, value] of Object.entries(OUTPUT_SETTINGS)) {
    await connection.command({
      query: `SET ${name} = ${typeof value === 'number' ? value : `'${value}'`}`,
      query_id: `setup-${name}`,
    })
  }
}

/**
 * chDB's connection for `@clickhouse/client`, holding every call until the session is set up.
 * (chDB resolves its own copy of the client's connection types, which differ only under
 * exactOptionalPropertyTypes: the casts bridge the two copies of one contract.)
 */
function afterSetup(connection: ChdbConnection, setup: Promise<void>): ClientConnection {
  const gate =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await setup
      return call(...args)
    }
  const wrapped = {
    ping: gate(connection.ping.bind(connection)),
    query: gate(connection.query.bind(connection)),
    insert: gate(connection.insert.bind(connection)),
    command: gate(connection.command.bind(connection)),
    exec: gate(connection.exec.bind(connection)),
    close: async () => {
      await setup.catch(() => undefined)
      await connection.close()
    },
  }
  return wrapped as unknown as ClientConnection
}

/**
 * chDB's module, or its pluggable connection, loaded on first use (see `SUPPORTED_PLATFORMS`):
 * an `RH_CONFIG_INVALID` error that says where the engine runs and what to use instead.
 */
export function loadChdb<T extends 'chdb' | 'chdb/connection'>(
  name: T,
): T extends 'chdb' ? ChdbModule : ChdbConnectionModule {
  return loadModule(name)
}

function loadModule<T>(name: string): T {
  try {
    return require(name) as T
  } catch (error) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `the embedded ClickHouse engine (npm package chdb) cannot load on ${process.platform}/${process.arch}: ${toMessage(error)}. It ships for ${SUPPORTED_PLATFORMS}; elsewhere set clickhouse.url (RH_CLICKHOUSE_URL) to a ClickHouse server`,
      { cause: error },
    )
  }
}
