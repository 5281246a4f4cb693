import type { MappedMetricPoint, MetricPointSink } from '../model/metric-point-sink.ts'
import type { MappedResource } from '../model/span-sink.ts'
import {
  NullableFloat64Column,
  NumberArrayColumn,
  type NullableFloat64Part,
  type NumberArrayPart,
} from './native/array-columns.ts'
import { ByteSink } from './native/byte-sink.ts'
import {
  FixedColumn,
  LowCardinalityColumn,
  StringMapColumn,
  type LowCardinalityPart,
  type StringMapPart,
} from './native/native-columns.ts'

/**
 * The columns of `metric_points` that writers send, in the order they send them. `series_id`
 * is left out: ClickHouse computes it (a MATERIALIZED column) from the series' identity.
 */
export const METRIC_POINT_COLUMNS = [
  'timestamp',
  'start_timestamp',
  'service',
  'environment',
  'release',
  'flags',
  'metric_name',
  'metric_type',
  'unit',
  'temporality',
  'is_monotonic',
  'value',
  'count',
  'sum',
  'min',
  'max',
  'bucket_counts',
  'explicit_bounds',
  'exp_scale',
  'exp_zero_count',
  'exp_zero_threshold',
  'exp_positive_offset',
  'exp_positive_counts',
  'exp_negative_offset',
  'exp_negative_counts',
  'quantiles',
  'quantile_values',
  'point_flags',
  'scope_name',
  'scope_version',
  'resource_attributes',
  'attributes',
] as const

type Column = (typeof METRIC_POINT_COLUMNS)[number]

const FIXED = [
  'timestamp',
  'start_timestamp',
  'is_monotonic',
  'value',
  'count',
  'exp_scale',
  'exp_zero_count',
  'exp_zero_threshold',
  'exp_positive_offset',
  'exp_negative_offset',
  'point_flags',
] as const
const LOW_CARDINALITY = [
  'service',
  'environment',
  'release',
  'metric_name',
  'metric_type',
  'unit',
  'temporality',
  'scope_name',
  'scope_version',
] as const
const NULLABLE = ['sum', 'min', 'max'] as const
const ARRAYS = [
  'bucket_counts',
  'explicit_bounds',
  'exp_positive_counts',
  'exp_negative_counts',
  'quantiles',
  'quantile_values',
] as const
type MapColumn = 'flags' | 'resource_attributes' | 'attributes'

/** One request's accepted data points in the `metric_points` columns, ready to join a batch. */
export type MetricPointsChunk = { readonly rows: number } & {
  readonly [C in (typeof FIXED)[number]]: Uint8Array
} & { readonly [C in (typeof LOW_CARDINALITY)[number]]: LowCardinalityPart } & {
  readonly [C in (typeof NULLABLE)[number]]: NullableFloat64Part
} & { readonly [C in (typeof ARRAYS)[number]]: NumberArrayPart } & {
  readonly [C in MapColumn]: StringMapPart
}

/** The column builders of one chunk, for decoders that fill them directly. */
export type MetricPointsColumns = {
  readonly [C in (typeof FIXED)[number]]: FixedColumn
} & { readonly [C in (typeof LOW_CARDINALITY)[number]]: LowCardinalityColumn } & {
  readonly [C in (typeof NULLABLE)[number]]: NullableFloat64Column
} & { readonly [C in (typeof ARRAYS)[number]]: NumberArrayColumn } & {
  readonly [C in MapColumn]: StringMapColumn
}

/**
 * Builds one request's {@link MetricPointsChunk}: a sink for `mapMetrics`, whose points arrive
 * as objects, and open `columns` for the protobuf decoder, which writes them from the wire
 * (after `beginResource`, every column gets exactly one value per point).
 */
export interface MetricPointsChunkBuilder extends MetricPointSink {
  readonly rows: number
  readonly columns: MetricPointsColumns
  /** Appends the current resource's attributes to the row being written. */
  appendResourceAttributes(): void
  finish(): MetricPointsChunk
}

/** About what a data point carries: a handful of attributes and of buckets. */
const ATTRIBUTES_PER_ROW = 6
const ATTRIBUTE_BYTES_PER_ROW = 100
const BUCKETS_PER_ROW = 16

/** `expectedRows`: a guess of the points to come, so columns start near their final size. */
export function createMetricPointsChunkBuilder(expectedRows = 256): MetricPointsChunkBuilder {
  const rows = Math.max(16, Math.ceil(expectedRows))
  const fixedBytes = (column: (typeof FIXED)[number]): number =>
    column === 'is_monotonic' ? rows : column.startsWith('exp_') ? rows * 4 : rows * 8
  const columns = {
    ...Object.fromEntries(FIXED.map((name) => [name, new FixedColumn(fixedBytes(name))])),
    ...Object.fromEntries(LOW_CARDINALITY.map((name) => [name, new LowCardinalityColumn(rows)])),
    ...Object.fromEntries(NULLABLE.map((name) => [name, new NullableFloat64Column(rows)])),
    ...Object.fromEntries(
      ARRAYS.map((name) => [
        name,
        new NumberArrayColumn({
          rows,
          elementBytes:
            name === 'bucket_counts' || name === 'explicit_bounds'
              ? rows * 8 * BUCKETS_PER_ROW
              : 64,
        }),
      ]),
    ),
    flags: new StringMapColumn({ rows, entries: 16, valueBytes: 64 }),
    resource_attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
    attributes: new StringMapColumn({
      rows,
      entries: rows * ATTRIBUTES_PER_ROW,
      valueBytes: rows * ATTRIBUTE_BYTES_PER_ROW,
    }),
  } as MetricPointsColumns
  const c = columns

  // A resource's attributes are the same for each of its points: worked out once, with its
  // first point, and copied per point (as for spans).
  let resource: MappedResource | undefined
  let resourceKeys: number[] = []
  let resourceValues: Uint8Array = new Uint8Array()

  const appendResourceAttributes = (): void => {
    if (resource !== undefined) {
      resourceKeys = resource.keys.map((key) => c.resource_attributes.keys.indexOf(key))
      const values = new ByteSink(256)
      for (const value of resource.values) values.string(value)
      resourceValues = values.toBytes()
      resource = undefined
    }
    for (const key of resourceKeys) c.resource_attributes.keys.index(key)
    c.resource_attributes.values.encoded(resourceValues, resourceKeys.length)
    c.resource_attributes.endRow(resourceKeys.length)
  }

  return {
    columns,
    appendResourceAttributes,

    get rows() {
      return c.timestamp.rows
    },

    beginResource(next: MappedResource) {
      resource = { keys: [...next.keys], values: [...next.values] }
    },

    append(point: MappedMetricPoint) {
      c.timestamp.bigint64(point.timeUnixNano)
      c.start_timestamp.bigint64(point.startTimeUnixNano)
      c.service.string(point.service)
      c.environment.string(point.environment)
      c.release.string(point.release)
      c.flags.row(point.flagKeys, point.flagVariants)
      c.metric_name.string(point.metricName)
      c.metric_type.string(point.metricType)
      c.unit.string(point.unit)
      c.temporality.string(point.temporality)
      c.is_monotonic.uint8(point.isMonotonic)
      c.value.float64(point.value)
      c.count.uint64Number(point.count)
      c.sum.value(point.sum)
      c.min.value(point.min)
      c.max.value(point.max)
      c.bucket_counts.uint64Row(point.bucketCounts)
      c.explicit_bounds.float64Row(point.explicitBounds)
      c.exp_scale.int32(point.expScale)
      c.exp_zero_count.uint64Number(point.expZeroCount)
      c.exp_zero_threshold.float64(point.expZeroThreshold)
      c.exp_positive_offset.int32(point.expPositiveOffset)
      c.exp_positive_counts.uint64Row(point.expPositiveCounts)
      c.exp_negative_offset.int32(point.expNegativeOffset)
      c.exp_negative_counts.uint64Row(point.expNegativeCounts)
      c.quantiles.float64Row(point.quantiles)
      c.quantile_values.float64Row(point.quantileValues)
      c.point_flags.int32(point.pointFlags)
      c.scope_name.string(point.scopeName)
      c.scope_version.string(point.scopeVersion)
      appendResourceAttributes()
      c.attributes.row(point.attributeKeys, point.attributeValues)
    },

    finish() {
      const parts: Record<string, unknown> = { rows: c.timestamp.rows }
      for (const name of METRIC_POINT_COLUMNS) parts[name] = columns[name].part()
      return parts as MetricPointsChunk
    },
  }
}

/** One column of the block: the type as the table declares it, and how its parts are written. */
interface ColumnCodec {
  readonly type: string
  write(sink: ByteSink, chunks: readonly MetricPointsChunk[]): void
  size(chunks: readonly MetricPointsChunk[]): number
}

function codec<Part>(
  type: string,
  column: {
    write(sink: ByteSink, parts: readonly Part[]): void
    sizeOf(parts: readonly Part[]): number
  },
  name: Column,
): ColumnCodec {
  const partsOf = (chunks: readonly MetricPointsChunk[]): Part[] =>
    chunks.map((chunk) => chunk[name] as Part)
  return {
    type,
    write: (sink, chunks) => column.write(sink, partsOf(chunks)),
    size: (chunks) => column.sizeOf(partsOf(chunks)),
  }
}

const DATETIME = "DateTime64(9, 'UTC')"
const LOW_CARDINALITY_STRING = 'LowCardinality(String)'
const STRING_MAP = 'Map(LowCardinality(String), String)'

/** The `metric_points` columns in Native: the type as the table declares it, and its writer. */
const CODECS: Readonly<Record<Column, ColumnCodec>> = {
  timestamp: codec(DATETIME, FixedColumn, 'timestamp'),
  start_timestamp: codec(DATETIME, FixedColumn, 'start_timestamp'),
  service: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'service'),
  environment: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'environment'),
  release: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'release'),
  flags: codec(STRING_MAP, StringMapColumn, 'flags'),
  metric_name: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'metric_name'),
  metric_type: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'metric_type'),
  unit: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'unit'),
  temporality: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'temporality'),
  is_monotonic: codec('UInt8', FixedColumn, 'is_monotonic'),
  value: codec('Float64', FixedColumn, 'value'),
  count: codec('UInt64', FixedColumn, 'count'),
  sum: codec('Nullable(Float64)', NullableFloat64Column, 'sum'),
  min: codec('Nullable(Float64)', NullableFloat64Column, 'min'),
  max: codec('Nullable(Float64)', NullableFloat64Column, 'max'),
  bucket_counts: codec('Array(UInt64)', NumberArrayColumn, 'bucket_counts'),
  explicit_bounds: codec('Array(Float64)', NumberArrayColumn, 'explicit_bounds'),
  exp_scale: codec('Int32', FixedColumn, 'exp_scale'),
  exp_zero_count: codec('UInt64', FixedColumn, 'exp_zero_count'),
  exp_zero_threshold: codec('Float64', FixedColumn, 'exp_zero_threshold'),
  exp_positive_offset: codec('Int32', FixedColumn, 'exp_positive_offset'),
  exp_positive_counts: codec('Array(UInt64)', NumberArrayColumn, 'exp_positive_counts'),
  exp_negative_offset: codec('Int32', FixedColumn, 'exp_negative_offset'),
  exp_negative_counts: codec('Array(UInt64)', NumberArrayColumn, 'exp_negative_counts'),
  quantiles: codec('Array(Float64)', NumberArrayColumn, 'quantiles'),
  quantile_values: codec('Array(Float64)', NumberArrayColumn, 'quantile_values'),
  point_flags: codec('UInt32', FixedColumn, 'point_flags'),
  scope_name: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'scope_name'),
  scope_version: codec(LOW_CARDINALITY_STRING, LowCardinalityColumn, 'scope_version'),
  resource_attributes: codec(STRING_MAP, StringMapColumn, 'resource_attributes'),
  attributes: codec(STRING_MAP, StringMapColumn, 'attributes'),
}

/** One Native block holding the rows of `chunks`, in order: one insert into `metric_points`. */
export function encodeMetricPointsBlock(chunks: readonly MetricPointsChunk[]): Uint8Array {
  const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0)
  let bytes = 1024
  for (const column of METRIC_POINT_COLUMNS) bytes += CODECS[column].size(chunks)
  const sink = new ByteSink(bytes)
  sink.varUInt(METRIC_POINT_COLUMNS.length)
  sink.varUInt(rows)
  for (const column of METRIC_POINT_COLUMNS) {
    const codec = CODECS[column]
    sink.asciiString(column)
    sink.asciiString(codec.type)
    codec.write(sink, chunks)
  }
  return sink.view8()
}
