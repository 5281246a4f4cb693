import type { LogSink, MappedLog } from '../model/map-logs.ts'
import type { MappedResource } from '../model/span-sink.ts'
import { ByteSink } from './native/byte-sink.ts'
import {
  FixedColumn,
  LowCardinalityColumn,
  StringColumn,
  StringMapColumn,
  type LowCardinalityPart,
  type StringMapPart,
} from './native/native-columns.ts'

/** The columns of the `logs` table that ingest writes, in the order the blocks carry them. */
export const LOG_COLUMNS = [
  'timestamp',
  'observed_timestamp',
  'service',
  'environment',
  'release',
  'severity_number',
  'severity_text',
  'body',
  'trace_id',
  'span_id',
  'event_name',
  'flag_key',
  'flag_variant',
  'scope_name',
  'resource_attributes',
  'log_attributes',
] as const

type LogColumn = (typeof LOG_COLUMNS)[number]

/** Typical application logs: a handful of attributes and a line of text per record. */
const ATTRIBUTES_PER_ROW = 6
const ATTRIBUTE_BYTES_PER_ROW = 120
const BODY_BYTES_PER_ROW = 120

/** One request's accepted log records in the `logs` table's columns, ready to join a batch. */
export interface LogsChunk {
  readonly rows: number
  readonly timestamp: Uint8Array
  readonly observed_timestamp: Uint8Array
  readonly service: LowCardinalityPart
  readonly environment: LowCardinalityPart
  readonly release: LowCardinalityPart
  readonly severity_number: Uint8Array
  readonly severity_text: LowCardinalityPart
  readonly body: Uint8Array
  readonly trace_id: Uint8Array
  readonly span_id: Uint8Array
  readonly event_name: LowCardinalityPart
  readonly flag_key: LowCardinalityPart
  readonly flag_variant: LowCardinalityPart
  readonly scope_name: LowCardinalityPart
  readonly resource_attributes: StringMapPart
  readonly log_attributes: StringMapPart
}

/** The column builders of one chunk, for the protobuf decoder that fills them directly. */
export interface LogsColumns {
  readonly timestamp: FixedColumn
  readonly observed_timestamp: FixedColumn
  readonly service: LowCardinalityColumn
  readonly environment: LowCardinalityColumn
  readonly release: LowCardinalityColumn
  readonly severity_number: FixedColumn
  readonly severity_text: LowCardinalityColumn
  readonly body: StringColumn
  readonly trace_id: StringColumn
  readonly span_id: StringColumn
  readonly event_name: LowCardinalityColumn
  readonly flag_key: LowCardinalityColumn
  readonly flag_variant: LowCardinalityColumn
  readonly scope_name: LowCardinalityColumn
  readonly resource_attributes: StringMapColumn
  readonly log_attributes: StringMapColumn
}

/**
 * Builds one request's {@link LogsChunk}: a sink for `mapLogs` (records as strings), and open
 * `columns` for the protobuf decoder (after `beginResource`, every column gets exactly one
 * value per record, resource attributes through `appendResourceAttributes`).
 */
export interface LogsChunkBuilder extends LogSink {
  readonly rows: number
  readonly columns: LogsColumns
  appendResourceAttributes(): void
  finish(): LogsChunk
}

export function createLogsChunkBuilder(expectedRows = 256): LogsChunkBuilder {
  const rows = Math.max(16, Math.ceil(expectedRows))
  const columns: LogsColumns = {
    timestamp: new FixedColumn(rows * 8),
    observed_timestamp: new FixedColumn(rows * 8),
    service: new LowCardinalityColumn(rows),
    environment: new LowCardinalityColumn(rows),
    release: new LowCardinalityColumn(rows),
    severity_number: new FixedColumn(rows),
    severity_text: new LowCardinalityColumn(rows),
    body: new StringColumn(rows * BODY_BYTES_PER_ROW),
    trace_id: new StringColumn(rows * 33),
    span_id: new StringColumn(rows * 17),
    event_name: new LowCardinalityColumn(rows),
    flag_key: new LowCardinalityColumn(rows),
    flag_variant: new LowCardinalityColumn(rows),
    scope_name: new LowCardinalityColumn(rows),
    resource_attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
    log_attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
  }
  const resourceAttributes = columns.resource_attributes

  // As for spans: a resource's attributes are encoded once, with its first record.
  let resource: MappedResource | undefined
  let resourceKeys: number[] = []
  let resourceValues: Uint8Array = new Uint8Array()

  const appendResourceAttributes = (): void => {
    if (resource !== undefined) {
      resourceKeys = resource.keys.map((key) => resourceAttributes.keys.indexOf(key))
      const values = new ByteSink(256)
      for (const value of resource.values) values.string(value)
      resourceValues = values.toBytes()
      resource = undefined
    }
    for (const key of resourceKeys) resourceAttributes.keys.index(key)
    resourceAttributes.values.encoded(resourceValues, resourceKeys.length)
    resourceAttributes.endRow(resourceKeys.length)
  }

  return {
    columns,
    appendResourceAttributes,

    get rows() {
      return columns.timestamp.rows
    },

    beginResource(next: MappedResource) {
      resource = { keys: [...next.keys], values: [...next.values] }
    },

    append(log: MappedLog) {
      columns.timestamp.bigint64(log.timestampNs)
      columns.observed_timestamp.bigint64(log.observedTimestampNs)
      columns.service.string(log.service)
      columns.environment.string(log.environment)
      columns.release.string(log.release)
      columns.severity_number.uint8(log.severityNumber)
      columns.severity_text.string(log.severityText)
      columns.body.string(log.body)
      columns.trace_id.string(log.traceId)
      columns.span_id.string(log.spanId)
      columns.event_name.string(log.eventName)
      columns.flag_key.string(log.flagKey)
      columns.flag_variant.string(log.flagVariant)
      columns.scope_name.string(log.scopeName)
      appendResourceAttributes()
      columns.log_attributes.row(log.attributeKeys, log.attributeValues)
    },

    finish() {
      const part = <K extends LogColumn>(name: K) => columns[name].part() as LogsChunk[K]
      return {
        rows: columns.timestamp.rows,
        timestamp: part('timestamp'),
        observed_timestamp: part('observed_timestamp'),
        service: part('service'),
        environment: part('environment'),
        release: part('release'),
        severity_number: part('severity_number'),
        severity_text: part('severity_text'),
        body: part('body'),
        trace_id: part('trace_id'),
        span_id: part('span_id'),
        event_name: part('event_name'),
        flag_key: part('flag_key'),
        flag_variant: part('flag_variant'),
        scope_name: part('scope_name'),
        resource_attributes: part('resource_attributes'),
        log_attributes: part('log_attributes'),
      }
    },
  }
}

interface ColumnCodec<Part> {
  write(sink: ByteSink, parts: readonly Part[]): void
  sizeOf(parts: readonly Part[]): number
}

/** How each column is typed in the table and serialized in Native. */
const LOGS_NATIVE: Readonly<Record<LogColumn, readonly [string, ColumnCodec<never>]>> = {
  timestamp: ["DateTime64(9, 'UTC')", FixedColumn],
  observed_timestamp: ["DateTime64(9, 'UTC')", FixedColumn],
  service: ['LowCardinality(String)', LowCardinalityColumn],
  environment: ['LowCardinality(String)', LowCardinalityColumn],
  release: ['LowCardinality(String)', LowCardinalityColumn],
  severity_number: ['UInt8', FixedColumn],
  severity_text: ['LowCardinality(String)', LowCardinalityColumn],
  body: ['String', StringColumn],
  trace_id: ['String', StringColumn],
  span_id: ['String', StringColumn],
  event_name: ['LowCardinality(String)', LowCardinalityColumn],
  flag_key: ['LowCardinality(String)', LowCardinalityColumn],
  flag_variant: ['LowCardinality(String)', LowCardinalityColumn],
  scope_name: ['LowCardinality(String)', LowCardinalityColumn],
  resource_attributes: ['Map(LowCardinality(String), String)', StringMapColumn],
  log_attributes: ['Map(LowCardinality(String), String)', StringMapColumn],
}

/** One Native block holding the rows of `chunks`, in order: one insert into `logs`. */
export function encodeLogsBlock(chunks: readonly LogsChunk[]): Uint8Array {
  const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0)
  const partsOf = (column: LogColumn) => chunks.map((chunk) => chunk[column]) as never[]
  let bytes = 1024
  for (const column of LOG_COLUMNS) bytes += LOGS_NATIVE[column][1].sizeOf(partsOf(column))
  const sink = new ByteSink(bytes)
  sink.varUInt(LOG_COLUMNS.length)
  sink.varUInt(rows)
  for (const column of LOG_COLUMNS) {
    const [type, codec] = LOGS_NATIVE[column]
    sink.asciiString(column)
    sink.asciiString(type)
    codec.write(sink, partsOf(column))
  }
  return sink.view8()
}
