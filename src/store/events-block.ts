import type { EventRow } from '../model/event-row.ts'
import { ByteSink } from './native/byte-sink.ts'
import { FixedColumn, LowCardinalityColumn, StringMapColumn } from './native/native-columns.ts'
import { EVENT_COLUMNS } from './table-columns.ts'

/**
 * One Native block of `events` rows (the table of release events from custom producers), in
 * the table's column order: the Kafka `json` format's writes skip JSON between the worker and
 * ClickHouse as the span writes do. `value` is `Nullable(Float64)`, which Native writes as a
 * null map (UInt8 per row, 1 = null) followed by the values (0 where null).
 */
export function encodeEventsBlock(rows: readonly EventRow[]): Uint8Array {
  const count = rows.length
  const timestamp = new FixedColumn(count * 8)
  const service = new LowCardinalityColumn(count)
  const environment = new LowCardinalityColumn(count)
  const release = new LowCardinalityColumn(count)
  const flags = new StringMapColumn({ rows: count })
  const name = new LowCardinalityColumn(count)
  const nulls = new FixedColumn(count)
  const values = new ByteSink(count * 8)
  const outcome = new LowCardinalityColumn(count)
  const attributes = new StringMapColumn({
    rows: count,
    entries: count * 4,
    valueBytes: count * 64,
  })
  for (const row of rows) {
    timestamp.bigint64(BigInt(row.timestamp))
    service.string(row.service)
    environment.string(row.environment)
    release.string(row.release)
    mapRow(flags, row.flags)
    name.string(row.name)
    nulls.uint8(row.value === null ? 1 : 0)
    values.float64(row.value ?? 0)
    outcome.string(row.outcome)
    mapRow(attributes, row.attributes)
  }
  const columns: Readonly<
    Record<(typeof EVENT_COLUMNS)[number], [string, (sink: ByteSink) => void]>
  > = {
    timestamp: ["DateTime64(9, 'UTC')", (sink) => FixedColumn.write(sink, [timestamp.part()])],
    service: [
      'LowCardinality(String)',
      (sink) => LowCardinalityColumn.write(sink, [service.part()]),
    ],
    environment: [
      'LowCardinality(String)',
      (sink) => LowCardinalityColumn.write(sink, [environment.part()]),
    ],
    release: [
      'LowCardinality(String)',
      (sink) => LowCardinalityColumn.write(sink, [release.part()]),
    ],
    flags: [
      'Map(LowCardinality(String), String)',
      (sink) => StringMapColumn.write(sink, [flags.part()]),
    ],
    name: ['LowCardinality(String)', (sink) => LowCardinalityColumn.write(sink, [name.part()])],
    value: [
      'Nullable(Float64)',
      (sink) => {
        FixedColumn.write(sink, [nulls.part()])
        sink.bytes(values.view8())
      },
    ],
    outcome: [
      'LowCardinality(String)',
      (sink) => LowCardinalityColumn.write(sink, [outcome.part()]),
    ],
    attributes: [
      'Map(LowCardinality(String), String)',
      (sink) => StringMapColumn.write(sink, [attributes.part()]),
    ],
  }
  const sink = new ByteSink(1024 + count * 64)
  sink.varUInt(EVENT_COLUMNS.length)
  sink.varUInt(count)
  for (const column of EVENT_COLUMNS) {
    const [type, write] = columns[column]
    sink.asciiString(column)
    sink.asciiString(type)
    write(sink)
  }
  return sink.view8()
}

const NO_ENTRIES: readonly string[] = []

function mapRow(column: StringMapColumn, record: Readonly<Record<string, string>>): void {
  const keys = Object.keys(record)
  if (keys.length === 0) column.row(NO_ENTRIES, NO_ENTRIES)
  else
    column.row(
      keys,
      keys.map((key) => record[key]!),
    )
}
