import { afterAll, describe, expect, it } from 'vitest'
import { createStore } from '../../../src/store/store-client.ts'
import { assertReachable } from '../../../src/store/store-client.ts'
import { migrate, isSchemaCurrent } from '../../../src/store/migrate.ts'
import { MIGRATIONS } from '../../../src/store/schema.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { isRhError } from '../../../src/errors.ts'
import { createTestStore, queryRows } from '../../helpers/store.ts'
import { silentLogger } from '../../../src/logger.ts'

const store = createTestStore()
afterAll(() => store.close())

async function schemaSnapshot(): Promise<string[]> {
  const rows = await queryRows<{ name: string; create_table_query: string }>(
    store,
    'SELECT name, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name',
    { db: store.database },
  )
  return rows.map((row) => `${row.name}: ${row.create_table_query}`)
}

describe('migrate', () => {
  it('creates every table on an empty database and reports the schema current', async () => {
    expect(await isSchemaCurrent(store)).toBe(false)
    const result = await migrate({ store, ttlDays: 30 })
    expect(result.applied).toEqual(MIGRATIONS.map((migration) => migration.version))
    expect(await isSchemaCurrent(store)).toBe(true)
    const tables = (await schemaSnapshot()).map((line) => line.split(':')[0])
    expect(tables).toEqual(
      expect.arrayContaining([
        'spans',
        'request_rollup_1m',
        'request_rollup_1m_mv',
        'analyses',
        'verdicts',
        'dead_letters',
        'frozen_minutes',
      ]),
    )
  })

  it('changes nothing when run a second time', async () => {
    const before = await schemaSnapshot()
    const result = await migrate({ store, ttlDays: 30 })
    expect(result).toEqual({ applied: [], ttlChanged: [] })
    expect(await schemaSnapshot()).toEqual(before)
  })

  it('applies a changed TTL setting to the existing tables', async () => {
    const result = await migrate({ store, ttlDays: 7 })
    expect(result.ttlChanged).toContain('spans')
    const [spans] = await queryRows<{ create_table_query: string }>(
      store,
      "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = 'spans'",
      { db: store.database },
    )
    expect(spans?.create_table_query).toContain('toIntervalDay(7)')
  })
})

describe('migration tuning', () => {
  it('stores span attribute maps with LZ4 and merges about ten span parts at once', async () => {
    const tuned = createTestStore()
    await migrate({ store: tuned, ttlDays: 30 })
    const [spans] = await queryRows<{ create_table_query: string }>(
      tuned,
      "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = 'spans'",
      { db: tuned.database },
    )
    await tuned.close()
    expect(spans?.create_table_query).toMatch(
      /`resource_attributes` Map\(LowCardinality\(String\), String\) CODEC\(LZ4\)/,
    )
    expect(spans?.create_table_query).toMatch(
      /`span_attributes` Map\(LowCardinality\(String\), String\) CODEC\(LZ4\)/,
    )
    expect(spans?.create_table_query).toContain('merge_selector_base = 10')
  })

  it('skips a tuning statement whose setting the server does not know, and says so', async () => {
    const old = createTestStore()
    const warnings: string[] = []
    const logger = {
      ...silentLogger,
      warn: (_fields: object, message: string) => warnings.push(message),
    }
    const result = await migrate({
      store: old,
      ttlDays: 30,
      logger,
      migrations: [
        {
          version: 1,
          name: 'a table tuned with a setting from a later server',
          statements: [
            'CREATE TABLE IF NOT EXISTS {db}.tuned (n UInt64) ENGINE = MergeTree ORDER BY n',
          ],
          tuning: ['ALTER TABLE {db}.tuned MODIFY SETTING merge_selector_of_a_later_server = 10'],
        },
      ],
    })
    await old.close()
    expect(result.applied).toEqual([1])
    expect(warnings).toEqual([expect.stringMatching(/does not know a setting/)])
  })

  it('fails a migration whose tuning statement fails for any other reason', async () => {
    const broken = createTestStore()
    const error = await migrate({
      store: broken,
      ttlDays: 30,
      migrations: [
        {
          version: 1,
          name: 'a tuning statement on a table that does not exist',
          statements: [],
          tuning: ['ALTER TABLE {db}.missing MODIFY SETTING merge_selector_base = 10'],
        },
      ],
    }).catch((caught: unknown) => caught)
    await broken.close()
    expect(isRhError(error, 'RH_STORE_MIGRATION_FAILED')).toBe(true)
  })
})

describe('assertReachable', () => {
  it('explains which server did not answer and what to check', async () => {
    const unreachable = createStore({
      ...DEFAULT_CONFIG.clickhouse,
      url: 'http://127.0.0.1:9',
      requestTimeoutMs: 2_000,
    })
    const error = await assertReachable(unreachable).catch((caught: unknown) => caught)
    await unreachable.close()
    expect(isRhError(error, 'RH_STORE_UNREACHABLE')).toBe(true)
    expect((error as Error).message).toMatch(
      /ClickHouse \(http:\/\/127\.0\.0\.1:9\/\) did not answer/,
    )
    expect((error as Error).message).toMatch(/RH_CLICKHOUSE_URL/)
  })
})
