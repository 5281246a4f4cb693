import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeLogs } from '../../../src/ingest/otlp/decode-logs.ts'
import type { MapLogsOptions } from '../../../src/model/map-logs.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { insertEncoded } from '../../../src/store/insert-rows.ts'
import { encodeLogsBlock, LOG_COLUMNS, type LogsChunk } from '../../../src/store/logs-block.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { buildLogsPayload } from '../../helpers/otel-log-payloads.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

/**
 * OTLP log records into `logs` rows: protobuf is decoded from the wire straight into columns,
 * JSON through objects; both must give the same rows, by the same rules as spans for service,
 * release, environment and flag evaluations.
 */
const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const NOW_MS = Date.now() - 3_600_000
const RECEIVED_NS = BigInt(NOW_MS + 60_000) * 1_000_000n
const OPTIONS: MapLogsOptions = {
  receivedAtNs: RECEIVED_NS,
  retentionCutoffNs: BigInt(NOW_MS - 86_400_000) * 1_000_000n,
  retentionDays: 1,
}
const TRACE_ID = '5b8efff798038103d269b633813fc60c'
const SPAN_ID = 'eee19b7ec3c1b174'

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

async function storedRows(chunk: LogsChunk): Promise<Record<string, unknown>[]> {
  const table = uniqueName('logs_copy')
  await store.client.command({
    query: `CREATE TABLE ${store.database}.${table} AS ${store.database}.logs`,
  })
  if (chunk.rows > 0) {
    await insertEncoded(store, {
      table,
      columns: LOG_COLUMNS,
      format: 'Native',
      body: encodeLogsBlock([chunk]),
      rows: chunk.rows,
      deduplicationToken: table,
    })
  }
  const columns = LOG_COLUMNS.map((column) =>
    column.endsWith('attributes') ? `mapSort(${column}) AS ${column}` : column,
  )
  return queryRows(
    store,
    `SELECT ${columns.join(', ')} FROM ${store.database}.${table} ORDER BY timestamp, body`,
  )
}

const payload = buildLogsPayload({
  service: 'checkout',
  release: '2.4.0',
  environment: 'production',
  logs: [
    { body: 'card declined', severityNumber: 13, severityText: 'WARN', timestampMs: NOW_MS },
    {
      body: { order: 'o-17', total: 42.5, items: [1, 2] },
      severityNumber: 9,
      attributes: { 'http.route': '/pay', retries: 3, ok: false, ratio: 0.25 },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      timestampMs: NOW_MS + 1,
    },
    {
      eventName: 'feature_flag.evaluation',
      attributes: {
        'feature_flag.key': 'new-checkout',
        'feature_flag.result.variant': 'on',
        'feature_flag.provider.name': 'in-memory',
      },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      timestampMs: NOW_MS + 2,
    },
    {
      // The older form: the event named in an attribute, the variant under its older name.
      attributes: {
        'event.name': 'feature_flag.evaluation',
        'feature_flag.key': 'dark-mode',
        'feature_flag.variant': 'off',
      },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      timestampMs: NOW_MS + 3,
    },
    {
      eventName: 'session.start',
      attributes: { 'feature_flag.key': 'not-a-flag-event', 'feature_flag.variant': 'x' },
      timestampMs: NOW_MS + 4,
    },
    { body: 42, timestampMs: NOW_MS + 5 },
  ],
})

describe('decoding OTLP logs', () => {
  it('maps the protobuf and the JSON form of the same records to the same rows', async () => {
    const fromProtobuf = decodeLogs(payload.protobuf, 'protobuf', MAPPING, OPTIONS)
    const fromJson = decodeLogs(Buffer.from(payload.json), 'json', MAPPING, OPTIONS)
    expect(fromProtobuf.result).toEqual(fromJson.result)
    expect(fromProtobuf.result).toMatchObject({ accepted: 6, rejected: 0 })
    const rows = await storedRows(fromProtobuf.chunk)
    expect(await storedRows(fromJson.chunk)).toEqual(rows)

    expect(rows.map((row) => [row.body, row.event_name, row.flag_key, row.flag_variant])).toEqual([
      ['card declined', '', '', ''],
      [expect.stringContaining('"order":"o-17"'), '', '', ''],
      ['', 'feature_flag.evaluation', 'new-checkout', 'on'],
      ['', 'feature_flag.evaluation', 'dark-mode', 'off'],
      ['', 'session.start', '', ''],
      ['42', '', '', ''],
    ])
    expect(rows[0]).toMatchObject({
      service: 'checkout',
      release: '2.4.0',
      environment: 'production',
      severity_number: 13,
      severity_text: 'WARN',
      trace_id: '',
      span_id: '',
      scope_name: 'payloads',
    })
    expect(rows[1]).toMatchObject({
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      log_attributes: { 'http.route': '/pay', ok: 'false', ratio: '0.25', retries: '3' },
    })
    expect((rows[0]!.resource_attributes as Record<string, string>)['service.name']).toBe(
      'checkout',
    )
  })

  const record = (fields: Record<string, unknown>) =>
    JSON.stringify({
      resourceLogs: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'rules' } }],
          },
          scopeLogs: [{ scope: { name: 's' }, logRecords: [fields] }],
        },
      ],
    })

  it('gives a record without a time the time it was observed, else when it was received', async () => {
    const observedNs = BigInt(NOW_MS) * 1_000_000n
    const observed = decodeLogs(
      Buffer.from(record({ observedTimeUnixNano: String(observedNs), body: { stringValue: 'a' } })),
      'json',
      MAPPING,
      OPTIONS,
    )
    const received = decodeLogs(
      Buffer.from(record({ body: { stringValue: 'b' } })),
      'json',
      MAPPING,
      OPTIONS,
    )
    const [observedRow] = await storedRows(observed.chunk)
    const [receivedRow] = await storedRows(received.chunk)
    const isoOf = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString()
    // '2026-11-26 05:55:00.123000000' as stored, to milliseconds.
    const stored = (value: unknown) => `${String(value).replace(' ', 'T').slice(0, 23)}Z`
    expect(stored(observedRow!.timestamp)).toBe(isoOf(observedNs))
    expect(stored(receivedRow!.timestamp)).toBe(isoOf(RECEIVED_NS))
    expect(receivedRow!.observed_timestamp).toBe(receivedRow!.timestamp)
  })

  it('rejects a record whose ids have the wrong length, alone, naming where it was', () => {
    const decoded = decodeLogs(
      Buffer.from(
        record({ timeUnixNano: String(BigInt(NOW_MS) * 1_000_000n), traceId: 'abcd', spanId: '' }),
      ),
      'json',
      MAPPING,
      OPTIONS,
    )
    expect(decoded.result).toMatchObject({ accepted: 0, rejected: 1 })
    expect(decoded.result.rejectionMessage).toMatch(
      /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: traceId must be 0 or 16 bytes/,
    )
  })

  it('rejects a record older than the retention as partial success', () => {
    const decoded = decodeLogs(
      Buffer.from(record({ timeUnixNano: '1000000000000000000', body: { stringValue: 'old' } })),
      'json',
      MAPPING,
      OPTIONS,
    )
    expect(decoded.result).toMatchObject({ accepted: 0, rejected: 1 })
    expect(decoded.result.rejectionMessage).toMatch(/retention/)
  })

  it('refuses a body that is not an ExportLogsServiceRequest', () => {
    expect(() =>
      decodeLogs(Buffer.from('not protobuf, not anything'), 'protobuf', MAPPING, OPTIONS),
    ).toThrow(expect.objectContaining({ code: 'RH_INGEST_UNDECODABLE' }))
    expect(() => decodeLogs(Buffer.from('{"resourceLogs": 3}'), 'json', MAPPING, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'RH_INGEST_UNDECODABLE' }),
    )
  })
})
