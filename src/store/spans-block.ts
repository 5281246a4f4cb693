import type { MappedResource, MappedSpan, SpanSink } from '../model/span-sink.ts'
import { ByteSink } from './native/byte-sink.ts'
import {
  FixedColumn,
  LowCardinalityColumn,
  StringColumn,
  StringMapColumn,
  type LowCardinalityPart,
  type StringMapPart,
} from './native/native-columns.ts'
import { SPAN_COLUMNS } from './table-columns.ts'

/** One request's accepted spans in the `spans` table's columns, ready to join a batch. */
export interface SpansChunk {
  readonly rows: number
  readonly timestamp: Uint8Array
  readonly service: LowCardinalityPart
  readonly environment: LowCardinalityPart
  readonly release: LowCardinalityPart
  readonly flags: StringMapPart
  readonly name: LowCardinalityPart
  readonly kind: LowCardinalityPart
  readonly status_code: LowCardinalityPart
  readonly status_message: Uint8Array
  readonly http_status_code: Uint8Array
  readonly http_route: LowCardinalityPart
  readonly is_error: Uint8Array
  readonly is_entry: Uint8Array
  readonly duration_ns: Uint8Array
  readonly trace_id: Uint8Array
  readonly span_id: Uint8Array
  readonly parent_span_id: Uint8Array
  readonly resource_attributes: StringMapPart
  readonly span_attributes: StringMapPart
}

/** The column builders of one chunk, for writers that fill them directly. */
export interface SpansColumns {
  readonly timestamp: FixedColumn
  readonly service: LowCardinalityColumn
  readonly environment: LowCardinalityColumn
  readonly release: LowCardinalityColumn
  readonly flags: StringMapColumn
  readonly name: LowCardinalityColumn
  readonly kind: LowCardinalityColumn
  readonly status_code: LowCardinalityColumn
  readonly status_message: StringColumn
  readonly http_status_code: FixedColumn
  readonly http_route: LowCardinalityColumn
  readonly is_error: FixedColumn
  readonly is_entry: FixedColumn
  readonly duration_ns: FixedColumn
  readonly trace_id: StringColumn
  readonly span_id: StringColumn
  readonly parent_span_id: StringColumn
  readonly resource_attributes: StringMapColumn
  readonly span_attributes: StringMapColumn
}

/**
 * Builds one request's {@link SpansChunk}: a sink for `mapSpans`, whose spans arrive as
 * strings, and open `columns` for the protobuf decoder, which writes them from the wire
 * (after `beginResource`, every column gets exactly one value per span).
 */
export interface SpansChunkBuilder extends SpanSink {
  readonly rows: number
  readonly columns: SpansColumns
  /** Appends the current resource's attributes to the row being written. */
  appendResourceAttributes(): void
  finish(): SpansChunk
}

export function createSpansChunkBuilder(): SpansChunkBuilder {
  const columns: SpansColumns = {
    timestamp: new FixedColumn(),
    service: new LowCardinalityColumn(),
    environment: new LowCardinalityColumn(),
    release: new LowCardinalityColumn(),
    flags: new StringMapColumn(),
    name: new LowCardinalityColumn(),
    kind: new LowCardinalityColumn(),
    status_code: new LowCardinalityColumn(),
    status_message: new StringColumn(),
    http_status_code: new FixedColumn(),
    http_route: new LowCardinalityColumn(),
    is_error: new FixedColumn(),
    is_entry: new FixedColumn(),
    duration_ns: new FixedColumn(),
    trace_id: new StringColumn(),
    span_id: new StringColumn(),
    parent_span_id: new StringColumn(),
    resource_attributes: new StringMapColumn(),
    span_attributes: new StringMapColumn(),
  }
  const {
    timestamp,
    service,
    environment,
    release,
    flags,
    name,
    kind,
    status_code: statusCode,
    status_message: statusMessage,
    http_status_code: httpStatusCode,
    http_route: httpRoute,
    is_error: isError,
    is_entry: isEntry,
    duration_ns: durationNs,
    trace_id: traceId,
    span_id: spanId,
    parent_span_id: parentSpanId,
    resource_attributes: resourceAttributes,
    span_attributes: spanAttributes,
  } = columns

  // A resource's attributes are the same for each of its spans: their key indexes and encoded
  // values are worked out once, with its first span, and copied per span.
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
      return timestamp.rows
    },

    beginResource(next: MappedResource) {
      // The caller reuses its lists: keep a copy until the first span needs them.
      resource = { keys: [...next.keys], values: [...next.values] }
    },

    append(span: MappedSpan) {
      timestamp.bigint64(span.startTimeUnixNano)
      service.string(span.service)
      environment.string(span.environment)
      release.string(span.release)
      flags.row(span.flagKeys, span.flagVariants)
      name.string(span.name)
      kind.string(span.kind)
      statusCode.string(span.statusCode)
      statusMessage.string(span.statusMessage)
      httpStatusCode.uint16(span.httpStatusCode)
      httpRoute.string(span.httpRoute)
      isError.uint8(span.isError)
      isEntry.uint8(span.isEntry)
      durationNs.bigint64(span.durationNs)
      traceId.string(span.traceId)
      spanId.string(span.spanId)
      parentSpanId.string(span.parentSpanId)
      appendResourceAttributes()
      spanAttributes.row(span.attributeKeys, span.attributeValues)
    },

    finish() {
      return {
        rows: timestamp.rows,
        timestamp: timestamp.part(),
        service: service.part(),
        environment: environment.part(),
        release: release.part(),
        flags: flags.part(),
        name: name.part(),
        kind: kind.part(),
        status_code: statusCode.part(),
        status_message: statusMessage.part(),
        http_status_code: httpStatusCode.part(),
        http_route: httpRoute.part(),
        is_error: isError.part(),
        is_entry: isEntry.part(),
        duration_ns: durationNs.part(),
        trace_id: traceId.part(),
        span_id: spanId.part(),
        parent_span_id: parentSpanId.part(),
        resource_attributes: resourceAttributes.part(),
        span_attributes: spanAttributes.part(),
      }
    },
  }
}

type ColumnWriter = (sink: ByteSink, chunks: readonly SpansChunk[]) => void

const fixed =
  (
    column: 'timestamp' | 'http_status_code' | 'is_error' | 'is_entry' | 'duration_ns',
  ): ColumnWriter =>
  (sink, chunks) =>
    FixedColumn.write(
      sink,
      chunks.map((chunk) => chunk[column]),
    )
const strings =
  (column: 'status_message' | 'trace_id' | 'span_id' | 'parent_span_id'): ColumnWriter =>
  (sink, chunks) =>
    StringColumn.write(
      sink,
      chunks.map((chunk) => chunk[column]),
    )
const lowCardinality =
  (
    column: 'service' | 'environment' | 'release' | 'name' | 'kind' | 'status_code' | 'http_route',
  ): ColumnWriter =>
  (sink, chunks) =>
    LowCardinalityColumn.write(
      sink,
      chunks.map((chunk) => chunk[column]),
    )
const stringMap =
  (column: 'flags' | 'resource_attributes' | 'span_attributes'): ColumnWriter =>
  (sink, chunks) =>
    StringMapColumn.write(
      sink,
      chunks.map((chunk) => chunk[column]),
    )

/** The `spans` table's columns in Native: name, the type as the table declares it, writer. */
const SPANS_NATIVE: Readonly<Record<(typeof SPAN_COLUMNS)[number], [string, ColumnWriter]>> = {
  timestamp: ["DateTime64(9, 'UTC')", fixed('timestamp')],
  service: ['LowCardinality(String)', lowCardinality('service')],
  environment: ['LowCardinality(String)', lowCardinality('environment')],
  release: ['LowCardinality(String)', lowCardinality('release')],
  flags: ['Map(LowCardinality(String), String)', stringMap('flags')],
  name: ['LowCardinality(String)', lowCardinality('name')],
  kind: ['LowCardinality(String)', lowCardinality('kind')],
  status_code: ['LowCardinality(String)', lowCardinality('status_code')],
  status_message: ['String', strings('status_message')],
  http_status_code: ['UInt16', fixed('http_status_code')],
  http_route: ['LowCardinality(String)', lowCardinality('http_route')],
  is_error: ['UInt8', fixed('is_error')],
  is_entry: ['UInt8', fixed('is_entry')],
  duration_ns: ['UInt64', fixed('duration_ns')],
  trace_id: ['String', strings('trace_id')],
  span_id: ['String', strings('span_id')],
  parent_span_id: ['String', strings('parent_span_id')],
  resource_attributes: ['Map(LowCardinality(String), String)', stringMap('resource_attributes')],
  span_attributes: ['Map(LowCardinality(String), String)', stringMap('span_attributes')],
}

/** One Native block holding the rows of `chunks`, in order: one insert into `spans`. */
export function encodeSpansBlock(chunks: readonly SpansChunk[]): Uint8Array {
  const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0)
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.trace_id.length * 8, 1024)
  const sink = new ByteSink(bytes)
  sink.varUInt(SPAN_COLUMNS.length)
  sink.varUInt(rows)
  for (const column of SPAN_COLUMNS) {
    const [type, write] = SPANS_NATIVE[column]
    sink.asciiString(column)
    sink.asciiString(type)
    write(sink, chunks)
  }
  return sink.view8()
}
