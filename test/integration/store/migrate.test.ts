import { afterAll, describe, expect, it } from 'vitest'
import { createStore } from '../../../src/store/store-client.ts'
import { assertReachable } from '../../../src/store/store-client.ts'
import { migrate, isSchemaCurrent } from '../../../src/store/migrate.ts'
import { MIGRATIONS } from '../../../src/store/schema.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { isRhError } from '../../../src/errors.ts'
import { createTestStore, queryRows } from '../../helpers/store.ts'

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
