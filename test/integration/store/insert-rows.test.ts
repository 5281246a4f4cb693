import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertRows } from '../../../src/store/insert-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import type { SpanRow } from '../../../src/model/span-row.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

function spanRow(overrides: Partial<SpanRow>): SpanRow {
  return {
    timestamp: '1795000000000000000',
    service: 'checkout',
    environment: 'production',
    release: '1.0.0',
    flags: {},
    name: 'GET /cart',
    kind: 'server',
    status_code: 'unset',
    status_message: '',
    http_status_code: 200,
    http_route: '/cart',
    is_error: 0,
    is_entry: 1,
    duration_ns: '12000000',
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    parent_span_id: '',
    resource_attributes: { 'service.name': 'checkout' },
    span_attributes: {},
    ...overrides,
  }
}

describe('insertRows', () => {
  it('stores a retried batch once, in the spans table and in the rollup', async () => {
    const rows = [
      spanRow({ release: 'dedup', flags: { 'new-cart': 'on' } }),
      spanRow({ release: 'dedup', is_error: 1, duration_ns: '40000000' }),
    ]
    await insertRows(store, { table: 'spans', rows, deduplicationToken: 'batch-1' })
    await insertRows(store, { table: 'spans', rows, deduplicationToken: 'batch-1' })

    const [spans] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.spans WHERE release = 'dedup'`,
    )
    expect(spans?.n).toBe('2')
    const rollup = await queryRows<{
      flag_key: string
      flag_variant: string
      requests: string
      errors: string
    }>(
      store,
      `SELECT flag_key, flag_variant, sum(requests) AS requests, sum(errors) AS errors
       FROM ${store.database}.request_rollup_1m WHERE release = 'dedup'
       GROUP BY flag_key, flag_variant ORDER BY flag_key`,
    )
    expect(rollup).toEqual([
      { flag_key: '', flag_variant: '', requests: '2', errors: '1' },
      { flag_key: 'new-cart', flag_variant: 'on', requests: '1', errors: '0' },
    ])
  })

  it('does not carry a deduplication token over to a later insert without one', async () => {
    // chDB keeps a request's settings for the rest of its session unless they are reset.
    await insertRows(store, {
      table: 'spans',
      rows: [spanRow({ release: 'leak' })],
      deduplicationToken: 'leak-1',
    })
    await store.client.insert({
      table: `${store.database}.spans`,
      values: [spanRow({ release: 'leak', name: 'other' })],
      format: 'JSONEachRow',
    })
    const [row] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.spans WHERE release = 'leak'`,
    )
    expect(row?.n).toBe('2')
  })

  it('keeps nanosecond timestamps and 64-bit durations exact', async () => {
    await insertRows(store, {
      table: 'spans',
      rows: [
        spanRow({
          release: 'precise',
          timestamp: '1795000000123456789',
          duration_ns: '18446744073709551615',
        }),
      ],
      deduplicationToken: 'batch-2',
    })
    const [row] = await queryRows<{ ns: string; duration_ns: string }>(
      store,
      `SELECT toString(toUnixTimestamp64Nano(timestamp)) AS ns, duration_ns FROM ${store.database}.spans WHERE release = 'precise'`,
    )
    expect(row).toEqual({ ns: '1795000000123456789', duration_ns: '18446744073709551615' })
  })

  it('rejects a row with a field that matches no column instead of defaulting it', async () => {
    const error = await insertRows(store, {
      table: 'spans',
      rows: [{ ...spanRow({ release: 'typo' }), timestamp_ns: '1' }],
      deduplicationToken: 'batch-4',
    }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'RH_STORE_WRITE_FAILED' })
  })

  it('fails with a typed error naming the table when the write is rejected', async () => {
    const error = await insertRows(store, {
      table: 'no_such_table',
      rows: [{ a: 1 }],
      deduplicationToken: 'batch-3',
    }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'RH_STORE_WRITE_FAILED' })
    expect((error as Error).message).toMatch(/no_such_table/)
  })
})
