import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventRow } from '../../../src/model/event-row.ts'
import {
  encodeEventsBlock,
  toEventsChunk,
  type EventsSlice,
} from '../../../src/store/events-block.ts'
import { insertCompactRows, insertEncoded } from '../../../src/store/insert-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../../../src/store/table-columns.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
  await store.client.command({
    query: `CREATE TABLE ${store.database}.events_json AS ${store.database}.events`,
  })
})
afterAll(() => store.close())

/** Events with every value a column must carry exactly: nulls, outcomes, maps, text. */
function events(count: number): EventRow[] {
  const base = BigInt(Date.now() - 3_600_000) * 1_000_000n
  return Array.from({ length: count }, (_, n) => ({
    timestamp: (base + BigInt(n) * 1_000_003n).toString(),
    service: n % 3 === 0 ? 'checkout' : `service-${n % 300}`,
    environment: n % 4 === 0 ? '' : 'production',
    release: n % 2 === 0 ? '1.4.2' : '1.5.0-ünïcode',
    flags: n % 5 === 0 ? {} : { 'new-checkout': n % 2 === 0 ? 'on' : 'off', dark: 'x' },
    name: n % 7 === 0 ? 'checkout.completed' : `event-${n % 500}`,
    value: n % 6 === 0 ? null : n * 0.125 - 40,
    outcome: n % 6 === 0 ? 'failure' : n % 3 === 0 ? '' : 'success',
    attributes:
      n % 9 === 0
        ? {}
        : {
            'order.id': `o-${n}`,
            'cart.items': String(n % 13),
            ключ: 'значение',
            // Values of 128 bytes and more take two length bytes in a String column.
            ...(n % 4 === 1 ? { note: 'x'.repeat(100 + (n % 300)) } : {}),
          },
  }))
}

/**
 * One slice per row, as the messages of fetches of `fetchRows` rows hold them: each fetch's rows
 * are one chunk.
 */
function sliceByFetch(rows: readonly EventRow[], fetchRows: number): EventsSlice[] {
  const slices: EventsSlice[] = []
  for (let start = 0; start < rows.length; start += fetchRows) {
    const chunk = toEventsChunk(rows.slice(start, start + fetchRows))
    for (let row = 0; row < chunk.rows; row++) slices.push({ chunk, from: row, to: row + 1 })
  }
  return slices
}

describe('Native events blocks', () => {
  it('store exactly what JSON rows of the same events store, column by column, whatever ranges of fetched chunks a batch holds', async () => {
    const rows = events(5_000)
    const slices = sliceByFetch(rows, 1_700)
    // Batches cut where fetches do not end: each starts or ends inside a chunk.
    for (const [from, to] of [
      [0, 2_345],
      [2_345, 2_346],
      [2_346, 5_000],
    ] as const) {
      await insertEncoded(store, {
        table: 'events',
        columns: TABLE_COLUMNS.events,
        format: 'Native',
        body: encodeEventsBlock(slices.slice(from, to)),
        rows: to - from,
        deduplicationToken: `events-native-${from}`,
      })
    }
    await insertCompactRows(store, {
      table: 'events_json',
      columns: TABLE_COLUMNS.events,
      rows,
      deduplicationToken: 'events-json',
    })
    const columns = TABLE_COLUMNS.events.map((column) =>
      column === 'flags' || column === 'attributes' ? `mapSort(${column}) AS ${column}` : column,
    )
    const read = (table: string) =>
      queryRows<Record<string, unknown>>(
        store,
        `SELECT ${columns.join(', ')} FROM ${store.database}.${table} ORDER BY timestamp`,
      )
    const [native, json] = await Promise.all([read('events'), read('events_json')])
    expect(native).toHaveLength(5_000)
    for (const column of TABLE_COLUMNS.events) {
      expect(
        native.map((row) => row[column]),
        column,
      ).toEqual(json.map((row) => row[column]))
    }
  })
})
