import { RhError } from '../../errors.ts'
import {
  toResourceContext,
  type MappingOptions,
  type MapSpansOptions,
  type ResourceContext,
} from '../../model/map-spans.ts'
import {
  EXPIRED,
  expiredPointsMessage,
  expiredPointsProblem,
  exponentialProblem,
  histogramProblem,
  pointRejectionMessage,
  pointTimeProblem,
  temporalityProblem,
  TEMPORALITY_NAMES,
  type MapMetricsResult,
  type MetricTypeName,
  type PointRejection,
} from '../../model/metric-rules.ts'
import { attributeCountProblem } from '../../model/span-rules.ts'
import type {
  MetricPointsChunkBuilder,
  MetricPointsColumns,
} from '../../store/metric-points-block.ts'
import type { KeyValue } from './otlp-types.ts'
import { PointAttributes } from './point-attributes.ts'
import { decodeKeyValue } from './protobuf-any-value.ts'
import { fieldTag, ProtobufReader, WIRE_TYPE } from './protobuf-reader.ts'

const { varint, fixed64, lengthDelimited } = WIRE_TYPE

// Field tags from opentelemetry-proto collector/metrics/v1/metrics_service.proto and
// metrics/v1/metrics.proto. Fields not listed (descriptions, exemplars, metadata, schema
// urls, scope attributes) are skipped unread.
const REQUEST_RESOURCE_METRICS = fieldTag(1, lengthDelimited)
const RESOURCE_METRICS = {
  resource: fieldTag(1, lengthDelimited),
  scopes: fieldTag(2, lengthDelimited),
}
const RESOURCE_ATTRIBUTES = fieldTag(1, lengthDelimited)
const SCOPE_METRICS = { scope: fieldTag(1, lengthDelimited), metrics: fieldTag(2, lengthDelimited) }
const SCOPE = { name: fieldTag(1, lengthDelimited), version: fieldTag(2, lengthDelimited) }
const METRIC = { name: fieldTag(1, lengthDelimited), unit: fieldTag(3, lengthDelimited) }
/** The `data` oneof of `Metric`: field number -> type. */
const DATA_FIELDS: Readonly<Record<number, MetricTypeName>> = {
  [fieldTag(5, lengthDelimited)]: 'gauge',
  [fieldTag(7, lengthDelimited)]: 'sum',
  [fieldTag(9, lengthDelimited)]: 'histogram',
  [fieldTag(10, lengthDelimited)]: 'exponential_histogram',
  [fieldTag(11, lengthDelimited)]: 'summary',
}
const DATA = {
  points: fieldTag(1, lengthDelimited),
  temporality: fieldTag(2, varint),
  isMonotonic: fieldTag(3, varint),
}
const TIMES = { start: fieldTag(2, fixed64), time: fieldTag(3, fixed64) }
const NUMBER_POINT = {
  asDouble: fieldTag(4, fixed64),
  asInt: fieldTag(6, fixed64),
  attributes: fieldTag(7, lengthDelimited),
  flags: fieldTag(8, varint),
}
const HISTOGRAM_POINT = {
  count: fieldTag(4, fixed64),
  sum: fieldTag(5, fixed64),
  bucketCountsPacked: fieldTag(6, lengthDelimited),
  bucketCount: fieldTag(6, fixed64),
  boundsPacked: fieldTag(7, lengthDelimited),
  bound: fieldTag(7, fixed64),
  attributes: fieldTag(9, lengthDelimited),
  flags: fieldTag(10, varint),
  min: fieldTag(11, fixed64),
  max: fieldTag(12, fixed64),
}
const EXPONENTIAL_POINT = {
  attributes: fieldTag(1, lengthDelimited),
  count: fieldTag(4, fixed64),
  sum: fieldTag(5, fixed64),
  scale: fieldTag(6, varint),
  zeroCount: fieldTag(7, fixed64),
  positive: fieldTag(8, lengthDelimited),
  negative: fieldTag(9, lengthDelimited),
  flags: fieldTag(10, varint),
  min: fieldTag(12, fixed64),
  max: fieldTag(13, fixed64),
  zeroThreshold: fieldTag(14, fixed64),
}
const BUCKETS = {
  offset: fieldTag(1, varint),
  countsPacked: fieldTag(2, lengthDelimited),
  count: fieldTag(2, varint),
}
const SUMMARY_POINT = {
  count: fieldTag(4, fixed64),
  sum: fieldTag(5, fixed64),
  quantileValues: fieldTag(6, lengthDelimited),
  attributes: fieldTag(7, lengthDelimited),
  flags: fieldTag(8, varint),
}
const VALUE_AT_QUANTILE = { quantile: fieldTag(1, fixed64), value: fieldTag(2, fixed64) }

const TWO_POW_32 = 0x1_0000_0000

/**
 * Decodes an OTLP/protobuf `ExportMetricsServiceRequest` straight into the `metric_points`
 * columns of `builder`: attribute strings are copied from the request buffer into the columns
 * without becoming JavaScript strings, counts and buckets go from the wire to the column
 * bytes, and no object is made per data point. The mapping and its refusals follow
 * `mapMetrics` (`metric-rules.ts`); a test holds the two to the same bytes.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` (HTTP 400) for truncated or malformed input, naming
 *   the field, byte offset and message.
 */
export function decodeMetricsToColumns(
  bytes: Uint8Array,
  mapping: MappingOptions,
  builder: MetricPointsChunkBuilder,
  options: MapSpansOptions = {},
): MapMetricsResult {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      'protobuf: the body is gzip-compressed but was not declared so; send it with "Content-Encoding: gzip"',
    )
  }
  return new ColumnarMetricsDecoder(bytes, mapping, builder, options).decode()
}

/** Where the metric being decoded is, and what every one of its points shares. */
interface MetricContext {
  readonly resource: ResourceContext
  readonly scopeName: string
  readonly scopeVersion: string
  readonly name: string
  readonly unit: string
  readonly type: MetricTypeName
  readonly temporality: number
  readonly isMonotonic: boolean
  readonly path: { resourceIndex: number; scopeIndex: number; metricIndex: number }
}

class ColumnarMetricsDecoder {
  private readonly r: ProtobufReader
  private readonly columns: MetricPointsColumns
  private readonly attributes: PointAttributes
  private readonly cutoff: bigint | undefined

  // The data point being decoded.
  private startNs = 0n
  private timeNs = 0n
  private flags = 0
  private value = 0
  private count = 0
  private sum: number | null = null
  private min: number | null = null
  private max: number | null = null
  private readonly bucketCounts: number[] = []
  private readonly bounds: number[] = []
  private scale = 0
  private zeroCount = 0
  private zeroThreshold = 0
  private positiveOffset = 0
  private readonly positiveCounts: number[] = []
  private negativeOffset = 0
  private readonly negativeCounts: number[] = []
  private readonly quantiles: number[] = []
  private readonly quantileValues: number[] = []

  private accepted = 0
  private expired = 0
  private index = 0
  private firstRejection: string | undefined
  private readonly rejections: PointRejection[] = []
  private resourceBegun = false

  private readonly mapping: MappingOptions
  private readonly builder: MetricPointsChunkBuilder
  private readonly options: MapSpansOptions

  constructor(
    bytes: Uint8Array,
    mapping: MappingOptions,
    builder: MetricPointsChunkBuilder,
    options: MapSpansOptions,
  ) {
    this.mapping = mapping
    this.builder = builder
    this.options = options
    this.r = new ProtobufReader(bytes)
    this.columns = builder.columns
    this.attributes = new PointAttributes(this.r, mapping)
    this.cutoff = options.retentionCutoffNs
  }

  decode(): MapMetricsResult {
    const r = this.r
    const end = r.bytes.length
    let index = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ExportMetricsServiceRequest')
      if (tag === REQUEST_RESOURCE_METRICS) this.resourceMetrics(r.lengthDelimited(end), index++)
      else r.skip(tag, end)
    }
    return {
      accepted: this.accepted,
      rejected: this.rejections.length,
      rejectionMessage:
        this.firstRejection ??
        (this.expired > 0
          ? expiredPointsMessage(this.expired, this.options.retentionDays)
          : undefined),
      rejections: this.rejections,
    }
  }

  /** One ResourceMetrics: its resource first (it may come last on the wire), then its scopes. */
  private resourceMetrics(end: number, resourceIndex: number): void {
    const r = this.r
    const start = r.pos
    let attributes: KeyValue[] = []
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceMetrics')
      if (tag === RESOURCE_METRICS.resource) attributes = this.resource(r.lengthDelimited(end))
      else r.skip(tag, end)
    }
    const strings = { keys: [] as string[], values: [] as string[] }
    const resource = toResourceContext(attributes, this.mapping, strings)
    this.resourceBegun = false
    this.beginResource = () => this.builder.beginResource(strings)
    r.pos = start
    let scopeIndex = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceMetrics')
      if (tag === RESOURCE_METRICS.scopes) {
        this.scopeMetrics(r.lengthDelimited(end), resource, resourceIndex, scopeIndex++)
      } else r.skip(tag, end)
    }
  }

  private beginResource: () => void = () => undefined

  private resource(end: number): KeyValue[] {
    const r = this.r
    const attributes: KeyValue[] = []
    while (r.pos < end) {
      const tag = r.tag(end, 'Resource')
      if (tag === RESOURCE_ATTRIBUTES) attributes.push(decodeKeyValue(r, r.lengthDelimited(end)))
      else r.skip(tag, end)
    }
    return attributes
  }

  private scopeMetrics(
    end: number,
    resource: ResourceContext,
    resourceIndex: number,
    scopeIndex: number,
  ): void {
    const r = this.r
    const start = r.pos
    let scopeName = ''
    let scopeVersion = ''
    while (r.pos < end) {
      const tag = r.tag(end, 'ScopeMetrics')
      if (tag === SCOPE_METRICS.scope) {
        const scopeEnd = r.lengthDelimited(end)
        while (r.pos < scopeEnd) {
          const field = r.tag(scopeEnd, 'InstrumentationScope')
          if (field === SCOPE.name) scopeName = r.string(scopeEnd)
          else if (field === SCOPE.version) scopeVersion = r.string(scopeEnd)
          else r.skip(field, scopeEnd)
        }
      } else r.skip(tag, end)
    }
    r.pos = start
    let metricIndex = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ScopeMetrics')
      if (tag === SCOPE_METRICS.metrics) {
        this.metric(r.lengthDelimited(end), {
          resource,
          scopeName,
          scopeVersion,
          path: { resourceIndex, scopeIndex, metricIndex: metricIndex++ },
        })
      } else r.skip(tag, end)
    }
  }

  /** A Metric: its name and unit, then the points of its (last) data case. */
  private metric(
    end: number,
    partial: Pick<MetricContext, 'resource' | 'scopeName' | 'scopeVersion' | 'path'>,
  ): void {
    const r = this.r
    let name = ''
    let unit = ''
    let type: MetricTypeName | undefined
    let dataStart = 0
    let dataEnd = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'Metric')
      if (tag === METRIC.name) name = r.string(end)
      else if (tag === METRIC.unit) unit = r.string(end)
      else if (DATA_FIELDS[tag] !== undefined) {
        type = DATA_FIELDS[tag]
        dataEnd = r.lengthDelimited(end)
        dataStart = r.pos
        r.pos = dataEnd
      } else r.skip(tag, end)
    }
    if (type === undefined) return
    r.pos = dataStart
    let temporality = 0
    let isMonotonic = false
    while (r.pos < dataEnd) {
      const tag = r.tag(dataEnd, type)
      if (tag === DATA.temporality && type !== 'gauge' && type !== 'summary') {
        temporality = r.int32(dataEnd)
      } else if (tag === DATA.isMonotonic && type === 'sum') isMonotonic = r.bool(dataEnd)
      else r.skip(tag, dataEnd)
    }
    const metric: MetricContext = { ...partial, name, unit, type, temporality, isMonotonic }
    r.pos = dataStart
    let pointIndex = 0
    while (r.pos < dataEnd) {
      const tag = r.tag(dataEnd, type)
      if (tag === DATA.points) {
        this.point(r.lengthDelimited(dataEnd), metric)
        this.mapPoint(metric, pointIndex++)
      } else r.skip(tag, dataEnd)
    }
  }

  /** Decodes one data point of the metric's type into the scratch fields. */
  private point(end: number, metric: MetricContext): void {
    this.attributes.count = 0
    this.startNs = this.timeNs = 0n
    this.flags = 0
    this.value = 0
    this.count = 0
    this.sum = this.min = this.max = null
    this.bucketCounts.length = 0
    this.bounds.length = 0
    this.scale = this.zeroCount = this.zeroThreshold = 0
    this.positiveOffset = this.negativeOffset = 0
    this.positiveCounts.length = 0
    this.negativeCounts.length = 0
    this.quantiles.length = 0
    this.quantileValues.length = 0
    switch (metric.type) {
      case 'gauge':
      case 'sum':
        this.numberPoint(end)
        return
      case 'histogram':
        this.histogramPoint(end)
        return
      case 'exponential_histogram':
        this.exponentialPoint(end)
        return
      case 'summary':
        this.summaryPoint(end)
    }
  }

  /** The fields every data point has (times), or false when `tag` is none of them. */
  private common(tag: number, end: number): boolean {
    if (tag === TIMES.start) this.startNs = this.r.fixed64(end)
    else if (tag === TIMES.time) this.timeNs = this.r.fixed64(end)
    else return false
    return true
  }

  private numberPoint(end: number): void {
    const r = this.r
    while (r.pos < end) {
      const tag = r.tag(end, 'NumberDataPoint')
      if (this.common(tag, end)) continue
      switch (tag) {
        case NUMBER_POINT.asDouble:
          this.value = r.double(end)
          break
        case NUMBER_POINT.asInt:
          this.value = this.signedFixed64(end)
          break
        case NUMBER_POINT.attributes:
          this.attributes.keyValue(r.lengthDelimited(end))
          break
        case NUMBER_POINT.flags:
          this.flags = r.uint32(end)
          break
        default:
          r.skip(tag, end)
      }
    }
  }

  private histogramPoint(end: number): void {
    const r = this.r
    while (r.pos < end) {
      const tag = r.tag(end, 'HistogramDataPoint')
      if (this.common(tag, end)) continue
      switch (tag) {
        case HISTOGRAM_POINT.count:
          this.count = this.unsignedFixed64(end)
          break
        case HISTOGRAM_POINT.sum:
          this.sum = r.double(end)
          break
        case HISTOGRAM_POINT.bucketCountsPacked: {
          const listEnd = r.lengthDelimited(end)
          while (r.pos < listEnd) this.bucketCounts.push(this.unsignedFixed64(listEnd))
          break
        }
        case HISTOGRAM_POINT.bucketCount:
          this.bucketCounts.push(this.unsignedFixed64(end))
          break
        case HISTOGRAM_POINT.boundsPacked: {
          const listEnd = r.lengthDelimited(end)
          while (r.pos < listEnd) this.bounds.push(r.double(listEnd))
          break
        }
        case HISTOGRAM_POINT.bound:
          this.bounds.push(r.double(end))
          break
        case HISTOGRAM_POINT.attributes:
          this.attributes.keyValue(r.lengthDelimited(end))
          break
        case HISTOGRAM_POINT.flags:
          this.flags = r.uint32(end)
          break
        case HISTOGRAM_POINT.min:
          this.min = r.double(end)
          break
        case HISTOGRAM_POINT.max:
          this.max = r.double(end)
          break
        default:
          r.skip(tag, end)
      }
    }
  }

  private exponentialPoint(end: number): void {
    const r = this.r
    while (r.pos < end) {
      const tag = r.tag(end, 'ExponentialHistogramDataPoint')
      if (this.common(tag, end)) continue
      switch (tag) {
        case EXPONENTIAL_POINT.attributes:
          this.attributes.keyValue(r.lengthDelimited(end))
          break
        case EXPONENTIAL_POINT.count:
          this.count = this.unsignedFixed64(end)
          break
        case EXPONENTIAL_POINT.sum:
          this.sum = r.double(end)
          break
        case EXPONENTIAL_POINT.scale:
          this.scale = zigZag32(r.uint32(end))
          break
        case EXPONENTIAL_POINT.zeroCount:
          this.zeroCount = this.unsignedFixed64(end)
          break
        case EXPONENTIAL_POINT.positive:
          this.positiveOffset = this.buckets(r.lengthDelimited(end), this.positiveCounts)
          break
        case EXPONENTIAL_POINT.negative:
          this.negativeOffset = this.buckets(r.lengthDelimited(end), this.negativeCounts)
          break
        case EXPONENTIAL_POINT.flags:
          this.flags = r.uint32(end)
          break
        case EXPONENTIAL_POINT.min:
          this.min = r.double(end)
          break
        case EXPONENTIAL_POINT.max:
          this.max = r.double(end)
          break
        case EXPONENTIAL_POINT.zeroThreshold:
          this.zeroThreshold = r.double(end)
          break
        default:
          r.skip(tag, end)
      }
    }
  }

  /** An exponential histogram's `Buckets` into `counts`; returns its offset. */
  private buckets(end: number, counts: number[]): number {
    const r = this.r
    let offset = 0
    counts.length = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ExponentialHistogramDataPoint.Buckets')
      if (tag === BUCKETS.offset) offset = zigZag32(r.uint32(end))
      else if (tag === BUCKETS.countsPacked) {
        const listEnd = r.lengthDelimited(end)
        while (r.pos < listEnd) counts.push(this.varint(listEnd))
      } else if (tag === BUCKETS.count) counts.push(this.varint(end))
      else r.skip(tag, end)
    }
    return offset
  }

  private summaryPoint(end: number): void {
    const r = this.r
    // A summary's sum is a plain double: absent means 0, not unknown.
    this.sum = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'SummaryDataPoint')
      if (this.common(tag, end)) continue
      switch (tag) {
        case SUMMARY_POINT.count:
          this.count = this.unsignedFixed64(end)
          break
        case SUMMARY_POINT.sum:
          this.sum = r.double(end)
          break
        case SUMMARY_POINT.quantileValues: {
          const entryEnd = r.lengthDelimited(end)
          let quantile = 0
          let value = 0
          while (r.pos < entryEnd) {
            const field = r.tag(entryEnd, 'SummaryDataPoint.ValueAtQuantile')
            if (field === VALUE_AT_QUANTILE.quantile) quantile = r.double(entryEnd)
            else if (field === VALUE_AT_QUANTILE.value) value = r.double(entryEnd)
            else r.skip(field, entryEnd)
          }
          this.quantiles.push(quantile)
          this.quantileValues.push(value)
          break
        }
        case SUMMARY_POINT.attributes:
          this.attributes.keyValue(r.lengthDelimited(end))
          break
        case SUMMARY_POINT.flags:
          this.flags = r.uint32(end)
          break
        default:
          r.skip(tag, end)
      }
    }
  }

  /** Validates the decoded point and writes it, or counts it as refused. */
  private mapPoint(metric: MetricContext, pointIndex: number): void {
    const problem =
      metric.resource.problem ??
      attributeCountProblem(this.attributes.count, this.mapping.maxAttributesPerSpan) ??
      pointTimeProblem(this.startNs, this.timeNs, this.cutoff) ??
      temporalityProblem(metric.type, metric.temporality) ??
      this.typeProblem(metric.type)
    const index = this.index++
    if (problem === undefined) {
      if (!this.resourceBegun) {
        this.beginResource()
        this.resourceBegun = true
      }
      this.accepted++
      this.writePoint(metric)
      return
    }
    const path = { ...metric.path, pointIndex }
    const message = pointRejectionMessage(
      metric.name,
      path,
      problem === EXPIRED ? expiredPointsProblem(this.options.retentionDays) : problem,
    )
    this.rejections.push({ index, ...path, message })
    if (problem === EXPIRED) this.expired++
    else this.firstRejection ??= message
  }

  private typeProblem(type: MetricTypeName): string | undefined {
    if (type === 'histogram') return histogramProblem(this.bucketCounts.length, this.bounds)
    if (type === 'exponential_histogram') return exponentialProblem(this.scale)
    return undefined
  }

  private writePoint(metric: MetricContext): void {
    const c = this.columns
    const resource = metric.resource
    c.timestamp.bigint64(this.timeNs)
    c.start_timestamp.bigint64(this.startNs)
    c.service.string(resource.service)
    this.attributes.write(c, resource.release, resource.environment)
    c.metric_name.string(metric.name)
    c.metric_type.string(metric.type)
    c.unit.string(metric.unit)
    c.temporality.string(
      metric.type === 'gauge' || metric.type === 'summary'
        ? ''
        : (TEMPORALITY_NAMES[metric.temporality] ?? ''),
    )
    c.is_monotonic.uint8(metric.isMonotonic ? 1 : 0)
    c.value.float64(this.value)
    c.count.uint64Number(this.count)
    c.sum.value(this.sum)
    c.min.value(this.min)
    c.max.value(this.max)
    c.bucket_counts.uint64Row(this.bucketCounts)
    c.explicit_bounds.float64Row(this.bounds)
    c.exp_scale.int32(this.scale)
    c.exp_zero_count.uint64Number(this.zeroCount)
    c.exp_zero_threshold.float64(this.zeroThreshold)
    c.exp_positive_offset.int32(this.positiveOffset)
    c.exp_positive_counts.uint64Row(this.positiveCounts)
    c.exp_negative_offset.int32(this.negativeOffset)
    c.exp_negative_counts.uint64Row(this.negativeCounts)
    c.quantiles.float64Row(this.quantiles)
    c.quantile_values.float64Row(this.quantileValues)
    c.point_flags.int32(this.flags)
    c.scope_name.string(metric.scopeName)
    c.scope_version.string(metric.scopeVersion)
    this.builder.appendResourceAttributes()
  }

  /** A `fixed64` count as a number (exact below 2^53). */
  private unsignedFixed64(end: number): number {
    this.r.fixed64Words(end)
    return this.r.high * TWO_POW_32 + this.r.low
  }

  /** An `sfixed64` (`as_int`) as a double. */
  private signedFixed64(end: number): number {
    this.r.fixed64Words(end)
    const high = this.r.high >= 0x8000_0000 ? this.r.high - TWO_POW_32 : this.r.high
    return high * TWO_POW_32 + this.r.low
  }

  /** A `uint64` varint as a number (exact below 2^53), without a bigint. */
  private varint(end: number): number {
    const r = this.r
    const bytes = r.bytes
    let pos = r.pos
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw r.error(`truncated varint ${r.fieldLabel()}`)
      const byte = bytes[pos++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        r.pos = pos
        return value
      }
      scale *= 128
    }
    throw r.error(`varint longer than 10 bytes in ${r.fieldLabel()}`)
  }
}

/** A `sint32` from its zigzag-encoded varint. */
function zigZag32(value: number): number {
  return (value >>> 1) ^ -(value & 1)
}
