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

/** Typical of instrumented services: about ten attributes and 200 bytes of values per span. */
const ATTRIBUTES_PER_ROW = 10
const ATTRIBUTE_BYTES_PER_ROW = 200

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
  /**
   * The chunk of the spans appended. With `views`, its arrays are views of the builder's own
   * buffers, valid until {@link reset}: for a caller that copies them first (a decoding thread
   * packs them into one buffer to post), sparing a copy of every column.
   */
  finish(views?: boolean): SpansChunk
  /** Empties the builder for the next request, keeping its buffers (they only grow). */
  reset(): void
}

/**
 * `expectedRows`: a guess of the spans to come (e.g. from the request's size), so that the
 * columns start at about the size they end at instead of growing by doubling.
 */
export function createSpansChunkBuilder(expectedRows = 256): SpansChunkBuilder {
  const rows = Math.max(16, Math.ceil(expectedRows))
  const columns: SpansColumns = {
    timestamp: new FixedColumn(rows * 8),
    service: new LowCardinalityColumn(rows),
    environment: new LowCardinalityColumn(rows),
    release: new LowCardinalityColumn(rows),
    flags: new StringMapColumn({ rows, entries: rows, valueBytes: rows * 4 }),
    name: new LowCardinalityColumn(rows),
    kind: new LowCardinalityColumn(rows),
    status_code: new LowCardinalityColumn(rows),
    status_message: new StringColumn(rows),
    http_status_code: new FixedColumn(rows * 2),
    http_route: new LowCardinalityColumn(rows),
    is_error: new FixedColumn(rows),
    is_entry: new FixedColumn(rows),
    duration_ns: new FixedColumn(rows * 8),
    trace_id: new StringColumn(rows * 33),
    span_id: new StringColumn(rows * 17),
    parent_span_id: new StringColumn(rows * 17),
    resource_attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
    span_attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
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

    reset() {
      for (const column of Object.values(columns) as { reset(): void }[]) column.reset()
      resource = undefined
      resourceKeys = []
    },

    finish(views = false) {
      return {
        rows: timestamp.rows,
        timestamp: timestamp.part(views),
        service: service.part(views),
        environment: environment.part(views),
        release: release.part(views),
        flags: flags.part(views),
        name: name.part(views),
        kind: kind.part(views),
        status_code: statusCode.part(views),
        status_message: statusMessage.part(views),
        http_status_code: httpStatusCode.part(views),
        http_route: httpRoute.part(views),
        is_error: isError.part(views),
        is_entry: isEntry.part(views),
        duration_ns: durationNs.part(views),
        trace_id: traceId.part(views),
        span_id: spanId.part(views),
        parent_span_id: parentSpanId.part(views),
        resource_attributes: resourceAttributes.part(views),
        span_attributes: spanAttributes.part(views),
      }
    },
  }
}

/** Writes one column of `chunks`, or with `size` tells at most how many bytes that takes. */
interface ColumnWriter {
  (sink: ByteSink, chunks: readonly SpansChunk[]): void
  size(chunks: readonly SpansChunk[]): number
}

function columnWriter<Part>(
  column: {
    write(sink: ByteSink, parts: readonly Part[]): void
    sizeOf(parts: readonly Part[]): number
  },
  partOf: (chunk: SpansChunk) => Part,
): ColumnWriter {
  const writer = (sink: ByteSink, chunks: readonly SpansChunk[]): void =>
    column.write(sink, chunks.map(partOf))
  return Object.assign(writer, {
    size: (chunks: readonly SpansChunk[]) => column.sizeOf(chunks.map(partOf)),
  })
}

const fixed = (
  column: 'timestamp' | 'http_status_code' | 'is_error' | 'is_entry' | 'duration_ns',
): ColumnWriter => columnWriter(FixedColumn, (chunk) => chunk[column])
const strings = (
  column: 'status_message' | 'trace_id' | 'span_id' | 'parent_span_id',
): ColumnWriter => columnWriter(StringColumn, (chunk) => chunk[column])
const lowCardinality = (
  column: 'service' | 'environment' | 'release' | 'name' | 'kind' | 'status_code' | 'http_route',
): ColumnWriter => columnWriter(LowCardinalityColumn, (chunk) => chunk[column])
const stringMap = (column: 'flags' | 'resource_attributes' | 'span_attributes'): ColumnWriter =>
  columnWriter(StringMapColumn, (chunk) => chunk[column])

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

/**
 * One Native block holding the rows of `chunks`, in order: one insert into `spans`.
 *
 * `into`: a sink kept by a writer that inserts one block at a time, emptied and reused, so
 * that a block of tens of megabytes is not allocated (and collected) per batch; the block
 * returned is then a view of it, valid until the next call.
 */
export function encodeSpansBlock(chunks: readonly SpansChunk[], into?: ByteSink): Uint8Array {
  const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0)
  // Sized once, from the parts, so that a block of tens of megabytes is not grown by copying.
  let bytes = 1024
  for (const column of SPAN_COLUMNS) bytes += SPANS_NATIVE[column][1].size(chunks)
  const sink = into ?? new ByteSink(bytes)
  sink.reset()
  sink.reserve(bytes)
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
