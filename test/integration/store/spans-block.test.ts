import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import type { TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { mapSpans } from '../../../src/model/map-spans.ts'
import { toMappingOptions, toSpanRows } from '../../../src/model/to-span-rows.ts'
import { insertCompactRows, insertEncoded } from '../../../src/store/insert-rows.ts'
import {
  createSpansChunkBuilder,
  encodeSpansBlock,
  type SpansChunk,
} from '../../../src/store/spans-block.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../../../src/store/table-columns.ts'
import { attributes, hex, mixedRequest } from '../../helpers/mixed-spans.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
  // The same table without the rollup view: the reference the JSON path fills.
  await store.client.command({
    query: `CREATE TABLE ${store.database}.spans_json AS ${store.database}.spans`,
  })
})
afterAll(() => store.close())

function toChunk(request: TraceRequest): SpansChunk {
  const builder = createSpansChunkBuilder()
  const result = mapSpans(request, MAPPING, builder)
  expect(result.rejected).toBe(0)
  return builder.finish()
}

async function insertNative(chunks: readonly SpansChunk[], token: string): Promise<void> {
  await insertEncoded(store, {
    table: 'spans',
    columns: TABLE_COLUMNS.spans,
    format: 'Native',
    body: encodeSpansBlock(chunks),
    rows: chunks.reduce((sum, chunk) => sum + chunk.rows, 0),
    deduplicationToken: token,
  })
}

const ALL_COLUMNS = TABLE_COLUMNS.spans.map((column) =>
  column.endsWith('attributes') || column === 'flags' ? `mapSort(${column}) AS ${column}` : column,
)

describe('Native spans blocks', () => {
  it('store exactly what the JSON rows of the same spans store, column by column', async () => {
    const requests = [mixedRequest(9_000, 7, 1), mixedRequest(3_000, 2, 2)]
    await insertNative(requests.map(toChunk), 'native-mixed')
    for (const [index, request] of requests.entries()) {
      await insertCompactRows(store, {
        table: 'spans_json',
        columns: TABLE_COLUMNS.spans,
        rows: toSpanRows(request, MAPPING).rows,
        deduplicationToken: `json-mixed-${index}`,
      })
    }
    const read = (table: string) =>
      queryRows<Record<string, unknown>>(
        store,
        `SELECT ${ALL_COLUMNS.join(', ')} FROM ${store.database}.${table} ORDER BY span_id`,
      )
    const [native, json] = await Promise.all([read('spans'), read('spans_json')])
    expect(native).toHaveLength(json.length)
    expect(native.length).toBeGreaterThanOrEqual(12_000)
    for (const column of TABLE_COLUMNS.spans) {
      expect(
        native.map((row) => row[column]),
        column,
      ).toEqual(json.map((row) => row[column]))
    }
  })

  it('index dictionaries wider than 65,536 values', async () => {
    const request = mixedRequest(70_000, 1, 3)
    const names = request.resourceSpans[0]!.scopeSpans[0]!.spans.map((span, i) => ({
      ...span,
      name: `op-${i}`,
      traceId: hex(i + 1, 16),
      spanId: hex(i + 1_000_000, 8),
    }))
    await insertNative(
      [
        toChunk({
          resourceSpans: [
            {
              resource: { attributes: attributes({ 'service.name': 'wide' }) },
              scopeSpans: [{ scope: { name: '', version: '' }, spans: names }],
            },
          ],
        }),
      ],
      'native-wide',
    )
    const [row] = await queryRows<{ n: string; distinct: string; last: string }>(
      store,
      `SELECT count() AS n, uniqExact(name) AS distinct, toString(max(toUInt32(substring(name, 4)))) AS last
       FROM ${store.database}.spans WHERE service = 'wide'`,
    )
    expect(row).toEqual({ n: '70000', distinct: '70000', last: '69999' })
  })

  it('are stored once when retried with the same token, in the table and its rollup', async () => {
    const chunk = toChunk({
      resourceSpans: [
        {
          resource: { attributes: attributes({ 'service.name': 'retried' }) },
          scopeSpans: [
            {
              scope: { name: '', version: '' },
              spans: mixedRequest(500, 1, 4).resourceSpans[0]!.scopeSpans[0]!.spans,
            },
          ],
        },
      ],
    })
    await insertNative([chunk], 'native-retry')
    await insertNative([chunk], 'native-retry')
    const [raw] = await queryRows<{ requests: string; errors: string }>(
      store,
      `SELECT count() AS requests, sum(is_error) AS errors
       FROM ${store.database}.spans WHERE service = 'retried' AND is_entry = 1`,
    )
    const [rollup] = await queryRows<{ requests: string; errors: string }>(
      store,
      `SELECT sum(requests) AS requests, sum(errors) AS errors
       FROM ${store.database}.request_rollup_1m WHERE service = 'retried' AND flag_key = ''`,
    )
    expect(Number(raw?.requests)).toBeGreaterThan(0)
    expect(rollup).toEqual(raw)
    const [stored] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.spans WHERE service = 'retried'`,
    )
    expect(stored?.n).toBe('500')
  })
})
