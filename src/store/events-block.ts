import type { EventRow } from '../model/event-row.ts'
import type { EpochTime } from '../model/parse-rfc3339.ts'
import { ByteSink } from './native/byte-sink.ts'
import {
  FixedColumn,
  LowCardinalityColumn,
  StringMapColumn,
  type LowCardinalityPart,
  type StringMapPart,
} from './native/native-columns.ts'
import { EVENT_COLUMNS } from './table-columns.ts'

/**
 * The `events` rows (release events from custom producers) of one Kafka fetch as Native column
 * parts: the `json` format's messages are mapped into one chunk per fetch, on a decoding thread,
 * and each message keeps only where its row lies in it ({@link EventsSlice}). `value` is
 * `Nullable(Float64)`: a null map (UInt8 per row, 1 = null) and the values (0 where null).
 */
export interface EventsChunk {
  readonly rows: number
  /** Int64 nanoseconds, little-endian. */
  readonly timestamp: Uint8Array
  readonly service: LowCardinalityPart
  readonly environment: LowCardinalityPart
  readonly release: LowCardinalityPart
  readonly flags: StringMapPart
  readonly name: LowCardinalityPart
  readonly nulls: Uint8Array
  /** Float64, little-endian. */
  readonly values: Uint8Array
  readonly outcome: LowCardinalityPart
  readonly attributes: StringMapPart
}

/** Rows `[from, to)` of a chunk: one message's rows within the chunk of its fetch. */
export interface EventsSlice {
  readonly chunk: EventsChunk
  readonly from: number
  readonly to: number
}

/**
 * A release event whose strings are byte ranges of `source` (JSON text without escapes), as
 * the Kafka `json` format's scanner reads them: interned without making JavaScript strings.
 */
export interface EventBytes {
  readonly source: Uint8Array
  /** The timestamp, from 1970 on: whole seconds since the epoch, and nanoseconds. */
  readonly time: Readonly<EpochTime>
  readonly serviceStart: number
  readonly serviceEnd: number
  readonly environmentStart: number
  readonly environmentEnd: number
  readonly releaseStart: number
  readonly releaseEnd: number
  readonly nameStart: number
  readonly nameEnd: number
  readonly value: number | null
  readonly outcome: EventRow['outcome']
  readonly flags: MapBytes
  readonly attributes: MapBytes
}

/** A string map's `entries` entries, keys and values as byte ranges of the event's source. */
export interface MapBytes {
  /** Per entry: key start, key end, value start, value end (-1: the value is in `texts`). */
  readonly bounds: readonly number[]
  readonly texts: readonly string[]
  readonly entries: number
}

export interface EventsChunkBuilder {
  readonly rows: number
  add(row: EventRow): void
  /** The same as {@link add} for an event read as byte ranges. */
  addBytes(event: EventBytes): void
  /** The rows added so far as a chunk of their own; the builder is not used afterwards. */
  finish(): EventsChunk
}

export function createEventsChunkBuilder(initialRows = 256): EventsChunkBuilder {
  const timestamp = new FixedColumn(initialRows * 8)
  const service = new LowCardinalityColumn(initialRows)
  const environment = new LowCardinalityColumn(initialRows)
  const release = new LowCardinalityColumn(initialRows)
  const flags = new StringMapColumn({ rows: initialRows })
  const name = new LowCardinalityColumn(initialRows)
  const nulls = new FixedColumn(initialRows)
  const values = new FixedColumn(initialRows * 8)
  const outcome = new LowCardinalityColumn(initialRows)
  const attributes = new StringMapColumn({
    rows: initialRows,
    entries: initialRows * 4,
    valueBytes: initialRows * 32,
  })
  // The dictionary indexes of the last row's map keys, per place (`mapRowOfBytes`).
  const flagKeys: number[] = []
  const attributeKeys: number[] = []
  return {
    get rows() {
      return timestamp.rows
    },
    add(row) {
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
    },
    addBytes(event) {
      const { source } = event
      writeEpochNanos(timestamp, event.time.seconds, event.time.nanos)
      service.index(service.indexOfBytes(source, event.serviceStart, event.serviceEnd))
      environment.index(
        environment.indexOfBytes(source, event.environmentStart, event.environmentEnd),
      )
      release.index(release.indexOfBytes(source, event.releaseStart, event.releaseEnd))
      mapRowOfBytes(flags, event.flags, source, flagKeys)
      name.index(name.indexOfBytes(source, event.nameStart, event.nameEnd))
      nulls.uint8(event.value === null ? 1 : 0)
      values.float64(event.value ?? 0)
      outcome.string(event.outcome)
      mapRowOfBytes(attributes, event.attributes, source, attributeKeys)
    },
    finish: () => ({
      rows: timestamp.rows,
      timestamp: timestamp.part(),
      service: service.part(),
      environment: environment.part(),
      release: release.part(),
      flags: flags.part(),
      name: name.part(),
      nulls: nulls.part(),
      values: values.part(),
      outcome: outcome.part(),
      attributes: attributes.part(),
    }),
  }
}

/** A chunk of `rows`, in order: for tests and for callers that hold row objects. */
export function toEventsChunk(rows: readonly EventRow[]): EventsChunk {
  const builder = createEventsChunkBuilder(rows.length)
  for (const row of rows) builder.add(row)
  return builder.finish()
}

/**
 * One Native block of the rows of `slices`, in order, in the table's column order: the Kafka
 * `json` format's writes skip JSON between the worker and ClickHouse as the span writes do.
 * Adjacent slices of one chunk (a batch's messages from one fetch) are written as one range.
 */
export function encodeEventsBlock(slices: readonly EventsSlice[]): Uint8Array {
  const parts = coalesce(slices).map(({ chunk, from, to }) => rangeOf(chunk, from, to))
  const count = parts.reduce((sum, part) => sum + part.rows, 0)
  type Column = readonly [type: string, write: (sink: ByteSink) => void]
  const lowCardinality = (column: (part: EventsChunk) => LowCardinalityPart): Column => [
    'LowCardinality(String)',
    (sink) => LowCardinalityColumn.write(sink, parts.map(column)),
  ]
  const stringMap = (column: (part: EventsChunk) => StringMapPart): Column => [
    'Map(LowCardinality(String), String)',
    (sink) => StringMapColumn.write(sink, parts.map(column)),
  ]
  const columns = {
    timestamp: [
      "DateTime64(9, 'UTC')",
      (sink: ByteSink) =>
        FixedColumn.write(
          sink,
          parts.map((part) => part.timestamp),
        ),
    ],
    service: lowCardinality((part) => part.service),
    environment: lowCardinality((part) => part.environment),
    release: lowCardinality((part) => part.release),
    flags: stringMap((part) => part.flags),
    name: lowCardinality((part) => part.name),
    value: [
      'Nullable(Float64)',
      (sink: ByteSink) => {
        FixedColumn.write(
          sink,
          parts.map((part) => part.nulls),
        )
        FixedColumn.write(
          sink,
          parts.map((part) => part.values),
        )
      },
    ],
    outcome: lowCardinality((part) => part.outcome),
    attributes: stringMap((part) => part.attributes),
  } as const satisfies Readonly<Record<(typeof EVENT_COLUMNS)[number], Column>>
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

/** The slices with each run of adjacent ranges of one chunk joined into one. */
function coalesce(slices: readonly EventsSlice[]): EventsSlice[] {
  const joined: { chunk: EventsChunk; from: number; to: number }[] = []
  let last: { chunk: EventsChunk; from: number; to: number } | undefined
  for (const { chunk, from, to } of slices) {
    if (last !== undefined && last.chunk === chunk && last.to === from) {
      last.to = to
    } else if (to > from) {
      last = { chunk, from, to }
      joined.push(last)
    }
  }
  return joined
}

/** Rows `[from, to)` of a chunk as a chunk of its own: views of its parts, nothing copied. */
function rangeOf(chunk: EventsChunk, from: number, to: number): EventsChunk {
  if (from === 0 && to === chunk.rows) return chunk
  return {
    rows: to - from,
    timestamp: chunk.timestamp.subarray(from * 8, to * 8),
    service: LowCardinalityColumn.range(chunk.service, from, to),
    environment: LowCardinalityColumn.range(chunk.environment, from, to),
    release: LowCardinalityColumn.range(chunk.release, from, to),
    flags: StringMapColumn.range(chunk.flags, from, to),
    name: LowCardinalityColumn.range(chunk.name, from, to),
    nulls: chunk.nulls.subarray(from, to),
    values: chunk.values.subarray(from * 8, to * 8),
    outcome: LowCardinalityColumn.range(chunk.outcome, from, to),
    attributes: StringMapColumn.range(chunk.attributes, from, to),
  }
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

/**
 * Appends a map row whose keys and values are byte ranges of `source`. `positions` holds the
 * dictionary indexes of the column's previous row's keys and gets this row's: a producer writes
 * its maps' keys in the same order event after event, so the key at each place is compared with
 * the one there before rather than hashed again.
 */
function mapRowOfBytes(
  column: StringMapColumn,
  map: MapBytes,
  source: Uint8Array,
  positions: number[],
): void {
  const { bounds, entries } = map
  const keys = column.keys
  const dictionary = keys.dictionary
  for (let i = 0; i < entries; i++) {
    const start = bounds[4 * i]!
    const end = bounds[4 * i + 1]!
    if (i < positions.length && dictionary.isEntry(positions[i]!, source, start, end)) continue
    positions[i] = dictionary.intern(source, start, end)
  }
  if (column.hasRepeats(positions, entries)) {
    column.rowOfIndexes(positions, entries, (i) => writeMapValue(column, map, source, i))
    return
  }
  // The common row, each key once: written here rather than through a callback made per row.
  for (let i = 0; i < entries; i++) {
    keys.index(positions[i]!)
    writeMapValue(column, map, source, i)
  }
  column.endRow(entries)
}

function writeMapValue(column: StringMapColumn, map: MapBytes, source: Uint8Array, i: number) {
  const start = map.bounds[4 * i + 2]!
  if (start < 0) column.values.string(map.texts[i]!)
  else column.values.copy(source, start, map.bounds[4 * i + 3]!)
}

/**
 * Writes `seconds` × 10^9 + `nanos` as an Int64, exactly and without a bigint, for `seconds`
 * from 0 to 2^33: the seconds are split at 2^21 so that every product and sum stays below 2^53.
 */
function writeEpochNanos(column: FixedColumn, seconds: number, nanos: number): void {
  const upper = Math.floor(seconds / 2 ** 21)
  const lower = seconds - upper * 2 ** 21
  const upperNanos = upper * 1e9
  const low = (upperNanos % 2 ** 11) * 2 ** 21 + lower * 1e9 + nanos
  column.uint64(Math.floor(upperNanos / 2 ** 11) + Math.floor(low / 2 ** 32), low % 2 ** 32)
}
