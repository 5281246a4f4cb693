/**
 * A protobuf encoder for hand-made `ExportMetricsServiceRequest` payloads (summaries, unpacked
 * repeated fields, invalid values), which the OTel JS SDK never produces. Written from the
 * protobuf encoding guide and the opentelemetry-proto field numbers, independently of the
 * decoder under test.
 */
import type {
  ExponentialBuckets,
  Metric,
  MetricsRequest,
} from '../../src/ingest/otlp/metrics-types.ts'
import type { KeyValue } from '../../src/ingest/otlp/otlp-types.ts'
import {
  concat,
  encodeAnyValue,
  field,
  keyValue,
  tag,
  varint,
} from '../unit/otlp/protobuf-writer.ts'

export interface EncodeOptions {
  /** Each ResourceMetrics puts its resource after its scopes (protobuf allows any order). */
  readonly resourceLast?: boolean
  /** Repeated numbers one field each instead of packed, as proto2 senders write them. */
  readonly unpacked?: boolean
}

const EMPTY = new Uint8Array()

export function encodeMetricsRequest(
  request: MetricsRequest,
  options: EncodeOptions = {},
): Uint8Array {
  return concat(
    ...request.resourceMetrics.map((resourceMetrics) => {
      const resource = field.message(1, ...resourceMetrics.resource.attributes.map(attribute(1)))
      const scopes = resourceMetrics.scopeMetrics.map((scopeMetrics) =>
        field.message(
          2,
          ...scopeMetrics.metrics.map((metric) => field.message(2, encodeMetric(metric, options))),
          // The scope after its metrics: a decoder must not depend on field order.
          field.message(
            1,
            field.string(1, scopeMetrics.scope.name),
            field.string(2, scopeMetrics.scope.version),
          ),
        ),
      )
      return field.message(
        1,
        ...(options.resourceLast === true ? [...scopes, resource] : [resource, ...scopes]),
      )
    }),
  )
}

const attribute =
  (fieldNumber: number) =>
  (kv: KeyValue): Uint8Array =>
    field.message(fieldNumber, keyValue(kv.key, encodeAnyValue(kv.value)))

function times(point: { startTimeUnixNano: bigint; timeUnixNano: bigint }): Uint8Array {
  return concat(field.fixed64(2, point.startTimeUnixNano), field.fixed64(3, point.timeUnixNano))
}

function optionalDouble(fieldNumber: number, value: number | null): Uint8Array {
  return value === null ? EMPTY : field.double(fieldNumber, value)
}

function fixed64s(fieldNumber: number, values: readonly number[], unpacked: boolean): Uint8Array {
  if (unpacked) return concat(...values.map((value) => field.fixed64(fieldNumber, BigInt(value))))
  if (values.length === 0) return EMPTY
  const bytes = new Uint8Array(values.length * 8)
  const view = new DataView(bytes.buffer)
  values.forEach((value, i) => view.setBigUint64(i * 8, BigInt(value), true))
  return field.bytes(fieldNumber, bytes)
}

function doubles(fieldNumber: number, values: readonly number[], unpacked: boolean): Uint8Array {
  if (unpacked) return concat(...values.map((value) => field.double(fieldNumber, value)))
  if (values.length === 0) return EMPTY
  const bytes = new Uint8Array(values.length * 8)
  const view = new DataView(bytes.buffer)
  values.forEach((value, i) => view.setFloat64(i * 8, value, true))
  return field.bytes(fieldNumber, bytes)
}

const zigZag = (value: number): number => (value < 0 ? -2 * value - 1 : 2 * value)

function buckets(fieldNumber: number, value: ExponentialBuckets, unpacked: boolean): Uint8Array {
  const counts = unpacked
    ? concat(...value.bucketCounts.map((count) => field.varint(2, count)))
    : value.bucketCounts.length === 0
      ? EMPTY
      : field.bytes(2, concat(...value.bucketCounts.map((count) => varint(count))))
  return field.message(fieldNumber, field.varint(1, zigZag(value.offset)), counts)
}

function encodeMetric(metric: Metric, options: EncodeOptions): Uint8Array {
  const unpacked = options.unpacked === true
  const header = concat(field.string(1, metric.name), field.string(3, metric.unit))
  const data = metric.data
  if (data === undefined) return header
  switch (data.type) {
    case 'gauge':
    case 'sum': {
      const points = data.points.map((point) =>
        field.message(
          1,
          times(point),
          Number.isInteger(point.value)
            ? field.fixed64(6, BigInt(point.value))
            : field.double(4, point.value),
          ...point.attributes.map(attribute(7)),
          point.flags === 0 ? EMPTY : field.varint(8, point.flags),
        ),
      )
      return concat(
        header,
        data.type === 'gauge'
          ? field.message(5, ...points)
          : field.message(
              7,
              ...points,
              field.varint(2, data.temporality),
              field.varint(3, data.isMonotonic),
            ),
      )
    }
    case 'histogram':
      return concat(
        header,
        field.message(
          9,
          field.varint(2, data.temporality),
          ...data.points.map((point) =>
            field.message(
              1,
              ...point.attributes.map(attribute(9)),
              times(point),
              field.fixed64(4, BigInt(point.count)),
              optionalDouble(5, point.sum),
              fixed64s(6, point.bucketCounts, unpacked),
              doubles(7, point.explicitBounds, unpacked),
              point.flags === 0 ? EMPTY : field.varint(10, point.flags),
              optionalDouble(11, point.min),
              optionalDouble(12, point.max),
            ),
          ),
        ),
      )
    case 'exponential_histogram':
      return concat(
        header,
        field.message(
          10,
          ...data.points.map((point) =>
            field.message(
              1,
              ...point.attributes.map(attribute(1)),
              times(point),
              field.fixed64(4, BigInt(point.count)),
              optionalDouble(5, point.sum),
              concat(tag(6, 0), varint(zigZag(point.scale))),
              field.fixed64(7, BigInt(point.zeroCount)),
              buckets(8, point.positive, unpacked),
              buckets(9, point.negative, unpacked),
              point.flags === 0 ? EMPTY : field.varint(10, point.flags),
              optionalDouble(12, point.min),
              optionalDouble(13, point.max),
              point.zeroThreshold === 0 ? EMPTY : field.double(14, point.zeroThreshold),
            ),
          ),
          field.varint(2, data.temporality),
        ),
      )
    case 'summary':
      return concat(
        header,
        field.message(
          11,
          ...data.points.map((point) =>
            field.message(
              1,
              times(point),
              field.fixed64(4, BigInt(point.count)),
              field.double(5, point.sum),
              ...point.quantiles.map((quantile, i) =>
                field.message(
                  6,
                  field.double(1, quantile),
                  field.double(2, point.quantileValues[i]!),
                ),
              ),
              ...point.attributes.map(attribute(7)),
              point.flags === 0 ? EMPTY : field.varint(8, point.flags),
            ),
          ),
        ),
      )
  }
}
