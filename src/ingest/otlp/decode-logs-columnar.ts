import {
  EVENT_NAME_ATTRIBUTE,
  expiredLogProblem,
  expiredLogsMessage,
  LOG_SPAN_ID_BYTES,
  LOG_TRACE_ID_BYTES,
  logIdProblem,
  logRejectionMessage,
  logTimeProblem,
  toSeverityNumber,
} from '../../model/log-rules.ts'
import type { LogRejection, MapLogsOptions, MapLogsResult } from '../../model/map-logs.ts'
import {
  toResourceContext,
  type MappingOptions,
  type ResourceContext,
} from '../../model/map-spans.ts'
import {
  attributeCountProblem,
  FLAG_EVENT_NAMES,
  FLAG_KEY_ATTRIBUTE,
  FLAG_VARIANT_ATTRIBUTES,
} from '../../model/span-rules.ts'
import type { LogsChunkBuilder, LogsColumns } from '../../store/logs-block.ts'
import type { LowCardinalityColumn } from '../../store/native/native-columns.ts'
import {
  Attributes,
  copyValue,
  rangeEquals,
  readAnyValue,
  readKeyValue,
  Values,
  writeValue,
} from './columnar-scratch.ts'
import { LOGS_FIELDS as F, refuseUndeclaredGzip } from './decode-logs-protobuf.ts'
import type { KeyValue } from './otlp-types.ts'
import { decodeKeyValue } from './protobuf-any-value.ts'
import { ProtobufReader } from './protobuf-reader.ts'

const encoder = new TextEncoder()
const EVENT_NAME_BYTES = encoder.encode(EVENT_NAME_ATTRIBUTE)
const FLAG_EVENT_NAME_BYTES = FLAG_EVENT_NAMES.map((name) => encoder.encode(name))
const FLAG_KEY_BYTES = encoder.encode(FLAG_KEY_ATTRIBUTE)
const FLAG_VARIANT_BYTES = FLAG_VARIANT_ATTRIBUTES.map((name) => encoder.encode(name))
const EXPIRED = 'expired'

/**
 * Decodes an OTLP/protobuf `ExportLogsServiceRequest` straight into the `logs` columns of
 * `builder`, without a JavaScript object or string per record (strings are copied from the
 * request buffer into the columns). The rules and refusals are `mapLogs`'s (`log-rules.ts`);
 * a test holds the two to the same Native block.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` for truncated or malformed input, naming the
 *   field, byte offset and message; never any other error for bad input.
 */
export function decodeLogsToColumns(
  bytes: Uint8Array,
  mapping: MappingOptions,
  builder: LogsChunkBuilder,
  options: MapLogsOptions = {},
): MapLogsResult {
  refuseUndeclaredGzip(bytes)
  return new ColumnarLogsDecoder(bytes, mapping, builder, options).decode()
}

class ColumnarLogsDecoder {
  private readonly r: ProtobufReader
  private readonly columns: LogsColumns
  private readonly environmentNames: readonly Uint8Array[]
  private readonly releaseName: Uint8Array
  private readonly cutoffHigh: number
  private readonly cutoffLow: number
  private readonly receivedHigh: number
  private readonly receivedLow: number

  // The record being decoded.
  private readonly attributes = new Attributes()
  /** Slot 0: the body; slot 1: the event name. */
  private readonly values = new Values()
  private timeHigh = 0
  private timeLow = 0
  private observedHigh = 0
  private observedLow = 0
  private severityNumber = 0
  private severityStart = 0
  private severityEnd = 0
  private traceIdStart = 0
  private traceIdEnd = 0
  private spanIdStart = 0
  private spanIdEnd = 0
  private scopeName = 0

  private accepted = 0
  private expired = 0
  private index = 0
  private firstRejection: string | undefined
  private readonly rejections: LogRejection[] = []

  private readonly bytes: Uint8Array
  private readonly mapping: MappingOptions
  private readonly builder: LogsChunkBuilder
  private readonly options: MapLogsOptions

  constructor(
    bytes: Uint8Array,
    mapping: MappingOptions,
    builder: LogsChunkBuilder,
    options: MapLogsOptions,
  ) {
    this.bytes = bytes
    this.mapping = mapping
    this.builder = builder
    this.options = options
    this.r = new ProtobufReader(bytes)
    this.columns = builder.columns
    this.environmentNames = mapping.environmentAttributes.map((name) => encoder.encode(name))
    this.releaseName = encoder.encode(mapping.releaseAttribute)
    const cutoff = options.retentionCutoffNs ?? 0n
    this.cutoffHigh = Number(cutoff >> 32n)
    this.cutoffLow = Number(cutoff & 0xffff_ffffn)
    const received = options.receivedAtNs ?? 0n
    this.receivedHigh = Number(received >> 32n)
    this.receivedLow = Number(received & 0xffff_ffffn)
  }

  decode(): MapLogsResult {
    const r = this.r
    const end = this.bytes.length
    let index = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ExportLogsServiceRequest')
      if (tag === F.requestResourceLogs) this.resourceLogs(r.lengthDelimited(end), index++)
      else r.skip(tag, end)
    }
    return {
      accepted: this.accepted,
      rejected: this.rejections.length,
      rejectionMessage:
        this.firstRejection ??
        (this.expired > 0
          ? expiredLogsMessage(this.expired, this.options.retentionDays)
          : undefined),
      rejections: this.rejections,
    }
  }

  /** One ResourceLogs: its resource first (it may come last on the wire), then its records. */
  private resourceLogs(end: number, index: number): void {
    const r = this.r
    const start = r.pos
    let attributes: KeyValue[] = []
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceLogs')
      if (tag === F.resourceLogs.resource) attributes = this.resource(r.lengthDelimited(end))
      else r.skip(tag, end)
    }
    const strings = { keys: [] as string[], values: [] as string[] }
    const context = toResourceContext(attributes, this.mapping, strings)
    this.builder.beginResource(strings)
    const resource = new ResourceIndexes(context, this.columns)
    r.pos = start
    let scope = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceLogs')
      if (tag === F.resourceLogs.scopeLogs) {
        this.scopeLogs(r.lengthDelimited(end), context, resource, index, scope++)
      } else r.skip(tag, end)
    }
  }

  private resource(end: number): KeyValue[] {
    const r = this.r
    const attributes: KeyValue[] = []
    while (r.pos < end) {
      const tag = r.tag(end, 'Resource')
      if (tag === F.resourceAttributes) attributes.push(decodeKeyValue(r, r.lengthDelimited(end)))
      else r.skip(tag, end)
    }
    return attributes
  }

  private scopeLogs(
    end: number,
    context: ResourceContext,
    resource: ResourceIndexes,
    r: number,
    s: number,
  ): void {
    const reader = this.r
    const start = reader.pos
    // The scope (its name) may follow the records on the wire: read it first.
    this.scopeName = 0
    while (reader.pos < end) {
      const tag = reader.tag(end, 'ScopeLogs')
      if (tag === F.scopeLogs.scope) this.scope(reader.lengthDelimited(end))
      else reader.skip(tag, end)
    }
    reader.pos = start
    let i = 0
    while (reader.pos < end) {
      const tag = reader.tag(end, 'ScopeLogs')
      if (tag === F.scopeLogs.logRecords) {
        this.record(reader.lengthDelimited(end))
        this.mapRecord(context, resource, r, s, i++)
      } else reader.skip(tag, end)
    }
  }

  private scope(end: number): void {
    const r = this.r
    while (r.pos < end) {
      const tag = r.tag(end, 'InstrumentationScope')
      if (tag === F.scope.name) {
        const start = r.utf8Range(end)
        this.scopeName = this.columns.scope_name.indexOfBytes(this.bytes, start, r.pos)
      } else r.skip(tag, end)
    }
  }

  /** Decodes one LogRecord into the scratch fields. */
  private record(end: number): void {
    const r = this.r
    const values = this.values
    this.attributes.count = 0
    values.setText(0, '')
    values.setText(1, '')
    this.timeHigh = this.timeLow = this.observedHigh = this.observedLow = 0
    this.severityNumber = 0
    this.severityStart = this.severityEnd = 0
    this.traceIdStart = this.traceIdEnd = this.spanIdStart = this.spanIdEnd = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'LogRecord')
      switch (tag) {
        case F.logRecord.attributes:
          readKeyValue(r, r.lengthDelimited(end), this.attributes)
          break
        case F.logRecord.timeUnixNano:
          r.fixed64Words(end)
          this.timeHigh = r.high
          this.timeLow = r.low
          break
        case F.logRecord.observedTimeUnixNano:
          r.fixed64Words(end)
          this.observedHigh = r.high
          this.observedLow = r.low
          break
        case F.logRecord.severityNumber:
          this.severityNumber = r.int32(end)
          break
        case F.logRecord.severityText:
          this.severityStart = r.utf8Range(end)
          this.severityEnd = r.pos
          break
        case F.logRecord.body:
          readAnyValue(r, r.lengthDelimited(end), values, 0)
          break
        case F.logRecord.traceId:
          this.traceIdStart = r.bytesRange(end)
          this.traceIdEnd = r.pos
          break
        case F.logRecord.spanId:
          this.spanIdStart = r.bytesRange(end)
          this.spanIdEnd = r.pos
          break
        case F.logRecord.eventName: {
          const start = r.utf8Range(end)
          values.setRange(1, start, r.pos)
          break
        }
        default:
          r.skip(tag, end)
      }
    }
  }

  private mapRecord(
    context: ResourceContext,
    resource: ResourceIndexes,
    r: number,
    s: number,
    i: number,
  ): void {
    // The record's time: its own, else when observed, else when received.
    if (this.timeHigh === 0 && this.timeLow === 0) {
      const observed = this.observedHigh !== 0 || this.observedLow !== 0
      this.timeHigh = observed ? this.observedHigh : this.receivedHigh
      this.timeLow = observed ? this.observedLow : this.receivedLow
    }
    if (this.observedHigh === 0 && this.observedLow === 0) {
      this.observedHigh = this.receivedHigh
      this.observedLow = this.receivedLow
    }
    const problem = context.problem ?? this.recordProblem() ?? this.timeProblem()
    const index = this.index++
    if (problem !== undefined) {
      const message = logRejectionMessage(
        r,
        s,
        i,
        problem === EXPIRED ? expiredLogProblem(this.options.retentionDays) : problem,
      )
      this.rejections.push({ index, resourceIndex: r, scopeIndex: s, recordIndex: i, message })
      if (problem === EXPIRED) this.expired++
      else this.firstRejection ??= message
      return
    }
    this.accepted++
    this.writeRecord(resource)
  }

  private recordProblem(): string | undefined {
    return (
      attributeCountProblem(this.attributes.count, this.mapping.maxAttributesPerSpan) ??
      logIdProblem('traceId', this.traceIdEnd - this.traceIdStart, LOG_TRACE_ID_BYTES) ??
      logIdProblem('spanId', this.spanIdEnd - this.spanIdStart, LOG_SPAN_ID_BYTES)
    )
  }

  private timeProblem(): string | undefined {
    const { timeHigh, timeLow } = this
    if (timeHigh >= 0x8000_0000) {
      return logTimeProblem((BigInt(timeHigh) << 32n) | BigInt(timeLow))
    }
    if (timeHigh < this.cutoffHigh || (timeHigh === this.cutoffHigh && timeLow < this.cutoffLow)) {
      return EXPIRED
    }
    return undefined
  }

  private writeRecord(resource: ResourceIndexes): void {
    const columns = this.columns
    const bytes = this.bytes
    const attributes = this.attributes
    const values = attributes.values
    columns.timestamp.uint64(this.timeHigh, this.timeLow)
    columns.observed_timestamp.uint64(this.observedHigh, this.observedLow)
    columns.service.index(resource.service())
    const environment = resource.environment()
    if (environment >= 0) columns.environment.index(environment)
    else {
      let chosen = -1
      for (const name of this.environmentNames) {
        const at = this.lastAttribute(name)
        if (at >= 0 && !values.isEmpty(at)) {
          chosen = at
          break
        }
      }
      columns.environment.index(chosen < 0 ? 0 : this.indexIn(columns.environment, values, chosen))
    }
    const release = resource.release()
    if (release >= 0) columns.release.index(release)
    else {
      const at = this.lastAttribute(this.releaseName)
      columns.release.index(
        at < 0 || values.isEmpty(at) ? 0 : this.indexIn(columns.release, values, at),
      )
    }
    columns.severity_number.uint8(toSeverityNumber(this.severityNumber))
    columns.severity_text.index(
      columns.severity_text.indexOfBytes(bytes, this.severityStart, this.severityEnd),
    )
    writeValue(columns.body, this.values, 0, bytes)
    this.writeId(columns.trace_id, this.traceIdStart, this.traceIdEnd)
    this.writeId(columns.span_id, this.spanIdStart, this.spanIdEnd)
    this.writeEventAndFlag()
    columns.scope_name.index(this.scopeName)
    this.builder.appendResourceAttributes()
    const keys = columns.log_attributes.keys
    for (let a = 0; a < attributes.count; a++) {
      attributes.positions[a] = keys.indexOfBytes(
        bytes,
        attributes.keyStart[a]!,
        attributes.keyEnd[a]!,
      )
    }
    columns.log_attributes.rowOfIndexes(attributes.positions, attributes.count, this.writeAttribute)
  }

  private readonly writeAttribute = (a: number): void => {
    writeValue(this.columns.log_attributes.values, this.attributes.values, a, this.bytes)
  }

  /** The event name (field, else the `event.name` attribute) and, for a flag event, the flag. */
  private writeEventAndFlag(): void {
    const columns = this.columns
    const values = this.values
    if (values.isEmpty(1)) {
      const at = this.lastAttribute(EVENT_NAME_BYTES)
      if (at >= 0) copyValue(this.attributes.values, at, values, 1)
    }
    columns.event_name.index(this.indexIn(columns.event_name, values, 1))
    let key = -1
    if (this.isFlagEvent()) {
      key = this.lastAttribute(FLAG_KEY_BYTES)
      if (key >= 0 && this.attributes.values.isEmpty(key)) key = -1
    }
    if (key < 0) {
      columns.flag_key.index(0)
      columns.flag_variant.index(0)
      return
    }
    const attributeValues = this.attributes.values
    columns.flag_key.index(this.indexIn(columns.flag_key, attributeValues, key))
    let variant = -1
    for (const name of FLAG_VARIANT_BYTES) {
      variant = this.lastAttribute(name)
      if (variant >= 0) break
    }
    columns.flag_variant.index(
      variant < 0 ? 0 : this.indexIn(columns.flag_variant, attributeValues, variant),
    )
  }

  private isFlagEvent(): boolean {
    const values = this.values
    const start = values.start[1]!
    if (start < 0) return FLAG_EVENT_NAMES.includes(values.texts[1]!)
    const end = values.end[1]!
    return FLAG_EVENT_NAME_BYTES.some((name) => rangeEquals(this.bytes, start, end, name))
  }

  /** Trace and span ids as hex; absent or all-zero ids are stored empty. */
  private writeId(column: LogsColumns['trace_id'], start: number, end: number): void {
    const bytes = this.bytes
    let zero = true
    for (let i = start; i < end && zero; i++) zero = bytes[i] === 0
    if (zero) column.copy(bytes, 0, 0)
    else column.hex(bytes, start, end)
  }

  private lastAttribute(name: Uint8Array): number {
    const attributes = this.attributes
    for (let a = attributes.count - 1; a >= 0; a--) {
      if (rangeEquals(this.bytes, attributes.keyStart[a]!, attributes.keyEnd[a]!, name)) return a
    }
    return -1
  }

  /** The dictionary index in `column` of value `i` of `values`. */
  private indexIn(column: LowCardinalityColumn, values: Values, i: number): number {
    const start = values.start[i]!
    return start < 0
      ? column.indexOf(values.texts[i]!)
      : column.indexOfBytes(this.bytes, start, values.end[i]!)
  }
}

/** The resource's service, release and environment, looked up in the columns once. */
class ResourceIndexes {
  private serviceAt = -1
  private releaseAt = -1
  private environmentAt = -1
  private readonly context: ResourceContext
  private readonly columns: LogsColumns

  constructor(context: ResourceContext, columns: LogsColumns) {
    this.context = context
    this.columns = columns
  }

  service(): number {
    if (this.serviceAt < 0) this.serviceAt = this.columns.service.indexOf(this.context.service)
    return this.serviceAt
  }

  /** -1 when the resource has none: the record's own attribute decides. */
  release(): number {
    if (this.context.release === undefined) return -1
    if (this.releaseAt < 0) this.releaseAt = this.columns.release.indexOf(this.context.release)
    return this.releaseAt
  }

  environment(): number {
    if (this.context.environment === undefined) return -1
    if (this.environmentAt < 0) {
      this.environmentAt = this.columns.environment.indexOf(this.context.environment)
    }
    return this.environmentAt
  }
}
