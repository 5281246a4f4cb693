import { RhError } from '../../errors.ts'
import {
  toResourceContext,
  type MappingOptions,
  type MapSpansOptions,
  type MapSpansResult,
  type ResourceContext,
  type SpanRejection,
} from '../../model/map-spans.ts'
import {
  attributeCountProblem,
  endBeforeStartProblem,
  expiredMessage,
  expiredProblem,
  FLAG_EVENT_NAMES,
  FLAG_KEY_ATTRIBUTE,
  FLAG_VARIANT_ATTRIBUTES,
  HTTP_ROUTE_ATTRIBUTE,
  HTTP_STATUS_ATTRIBUTE,
  idLengthProblem,
  isEntrySpan,
  isErrorSpan,
  LEGACY_HTTP_STATUS_ATTRIBUTE,
  MAX_START_HIGH,
  MAX_START_LOW,
  rejectionMessage,
  SPAN_ID_BYTES,
  startTooLateProblem,
  toHttpStatusCode,
  toKindName,
  toStatusName,
  TRACE_ID_BYTES,
  zeroIdProblem,
} from '../../model/span-rules.ts'
import type { LowCardinalityColumn } from '../../store/native/native-columns.ts'
import type { SpansChunkBuilder, SpansColumns } from '../../store/spans-block.ts'
import type { KeyValue } from './otlp-types.ts'
import { decodeKeyValue } from './protobuf-any-value.ts'
import {
  Attributes,
  copyValue,
  growUint8,
  readKeyValue,
  sameBytes,
  startsWith,
  Values,
  writeValue,
} from './columnar-scratch.ts'
import { fieldTag, ProtobufReader, WIRE_TYPE } from './protobuf-reader.ts'

const { varint, fixed64, lengthDelimited } = WIRE_TYPE

// Field tags from opentelemetry-proto: collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, resource/v1/resource.proto and common/v1/common.proto. Fields not
// listed (scope, links, trace_state, flags, dropped counts, schema urls) are skipped unread.
const REQUEST_RESOURCE_SPANS = fieldTag(1, lengthDelimited)
const RESOURCE_SPANS = {
  resource: fieldTag(1, lengthDelimited),
  scopeSpans: fieldTag(2, lengthDelimited),
}
const RESOURCE_ATTRIBUTES = fieldTag(1, lengthDelimited)
const SCOPE_SPANS_SPANS = fieldTag(2, lengthDelimited)
const SPAN = {
  traceId: fieldTag(1, lengthDelimited),
  spanId: fieldTag(2, lengthDelimited),
  parentSpanId: fieldTag(4, lengthDelimited),
  name: fieldTag(5, lengthDelimited),
  kind: fieldTag(6, varint),
  startTimeUnixNano: fieldTag(7, fixed64),
  endTimeUnixNano: fieldTag(8, fixed64),
  attributes: fieldTag(9, lengthDelimited),
  events: fieldTag(11, lengthDelimited),
  status: fieldTag(15, lengthDelimited),
}
const EVENT = { name: fieldTag(2, lengthDelimited), attributes: fieldTag(3, lengthDelimited) }
const STATUS = { message: fieldTag(2, lengthDelimited), code: fieldTag(3, varint) }

/** What a span attribute's key means to the mapping (bits), classified once per chunk key. */
const ROLE = { status: 1, legacyStatus: 2, route: 4, release: 8, flag: 16 } as const

const encoder = new TextEncoder()
const FLAG_EVENT_NAME_BYTES = FLAG_EVENT_NAMES.map((name) => encoder.encode(name))
const FLAG_KEY_BYTES = encoder.encode(FLAG_KEY_ATTRIBUTE)
const FLAG_VARIANT_BYTES = FLAG_VARIANT_ATTRIBUTES.map((name) => encoder.encode(name))
const TWO_POW_32 = 0x1_0000_0000
/** Marks a span refused only for its age: counted, and explained once for all of them. */
const EXPIRED = 'expired'

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest` straight into the `spans` columns of
 * `builder`: strings are copied from the request buffer into the columns and dictionaries
 * without becoming JavaScript strings, and no object is made per span or attribute. The
 * mapping and its refusals follow the same rules as `mapSpans` (`span-rules.ts`), which maps
 * decoded objects; a test holds the two to the same rows.
 *
 * Strings the store keeps are checked to be valid UTF-8; fields it does not use (scopes,
 * links, other events' attributes) are skipped unread.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` (HTTP 400) for truncated or malformed input, naming
 *   the field, byte offset and message; never any other error for bad input.
 */
export function decodeTracesToColumns(
  bytes: Uint8Array,
  mapping: MappingOptions,
  builder: SpansChunkBuilder,
  options: MapSpansOptions = {},
): MapSpansResult {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // 0x1f cannot start a protobuf message (wire type 7), but it does start every gzip stream.
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      'protobuf: the body is gzip-compressed but was not declared so; send it with "Content-Encoding: gzip"',
    )
  }
  return new ColumnarTraceDecoder(bytes, mapping, builder, options).decode()
}

/** Flags of the span being decoded: keys and variants, ranges or strings. */
class Flags {
  count = 0
  readonly keys = new Values()
  readonly variants = new Values()
  positions = new Uint32Array(16)

  add(): number {
    const i = this.count++
    this.keys.grow(this.count)
    this.variants.grow(this.count)
    if (this.count > this.positions.length) {
      const positions = new Uint32Array(this.count * 2)
      positions.set(this.positions)
      this.positions = positions
    }
    return i
  }
}

class ColumnarTraceDecoder {
  private readonly r: ProtobufReader
  private readonly columns: SpansColumns
  // Key roles per span-attribute dictionary index, classified as keys first appear.
  private roles = new Uint8Array(64)
  private environmentRanks = new Uint8Array(64)
  private classified = 0
  private readonly environmentNames: readonly Uint8Array[]
  /** Per environment attribute (by rank), where the span has it last; -1 when absent. */
  private readonly environmentAt: Int32Array
  private readonly releaseName: Uint8Array
  private readonly flagPrefix: Uint8Array
  private readonly cutoffHigh: number
  private readonly cutoffLow: number

  // The span being decoded.
  private readonly attributes = new Attributes()
  private readonly flags = new Flags()
  private readonly eventAttributes = new Attributes()
  private traceIdStart = 0
  private traceIdEnd = 0
  private spanIdStart = 0
  private spanIdEnd = 0
  private parentStart = 0
  private parentEnd = 0
  private nameStart = 0
  private nameEnd = 0
  private kind = 0
  private startHigh = 0
  private startLow = 0
  private endHigh = 0
  private endLow = 0
  private statusCode = 0
  private messageStart = 0
  private messageEnd = 0

  private accepted = 0
  private expired = 0
  /** Spans seen so far in the request, the next one's index. */
  private index = 0
  private firstRejection: string | undefined
  private readonly rejections: SpanRejection[] = []

  private readonly bytes: Uint8Array
  private readonly mapping: MappingOptions
  private readonly builder: SpansChunkBuilder
  private readonly options: MapSpansOptions

  constructor(
    bytes: Uint8Array,
    mapping: MappingOptions,
    builder: SpansChunkBuilder,
    options: MapSpansOptions,
  ) {
    this.bytes = bytes
    this.mapping = mapping
    this.builder = builder
    this.options = options
    this.r = new ProtobufReader(bytes)
    this.columns = builder.columns
    this.environmentNames = mapping.environmentAttributes.map((name) => encoder.encode(name))
    this.environmentAt = new Int32Array(this.environmentNames.length)
    this.releaseName = encoder.encode(mapping.releaseAttribute)
    this.flagPrefix = encoder.encode(mapping.flagAttributePrefix)
    const cutoff = options.retentionCutoffNs ?? 0n
    this.cutoffHigh = Number(cutoff >> 32n)
    this.cutoffLow = Number(cutoff & 0xffff_ffffn)
  }

  decode(): MapSpansResult {
    const r = this.r
    const end = this.bytes.length
    let index = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ExportTraceServiceRequest')
      if (tag === REQUEST_RESOURCE_SPANS) this.resourceSpans(r.lengthDelimited(end), index++)
      else r.skip(tag, end)
    }
    const rejectionMessageOf =
      this.firstRejection ??
      (this.expired > 0 ? expiredMessage(this.expired, this.options.retentionDays) : undefined)
    return {
      accepted: this.accepted,
      rejected: this.rejections.length,
      rejectionMessage: rejectionMessageOf,
      rejections: this.rejections,
    }
  }

  /** One ResourceSpans: its resource first (it may come last on the wire), then its spans. */
  private resourceSpans(end: number, index: number): void {
    const r = this.r
    const start = r.pos
    let attributes: KeyValue[] = []
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceSpans')
      if (tag === RESOURCE_SPANS.resource) attributes = this.resource(r.lengthDelimited(end))
      else r.skip(tag, end)
    }
    const strings = { keys: [] as string[], values: [] as string[] }
    const context = toResourceContext(attributes, this.mapping, strings)
    this.builder.beginResource(strings)
    const resource = this.resourceIndexes(context)
    r.pos = start
    let scope = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'ResourceSpans')
      if (tag === RESOURCE_SPANS.scopeSpans) {
        this.scopeSpans(r.lengthDelimited(end), context, resource, index, scope++)
      } else r.skip(tag, end)
    }
  }

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

  /** The resource's service, release and environment, looked up when first needed. */
  private resourceIndexes(context: ResourceContext): ResourceIndexes {
    const columns = this.columns
    let service = -1
    let release = -1
    let environment = -1
    return {
      service: () =>
        service >= 0 ? service : (service = columns.service.indexOf(context.service)),
      release: () =>
        context.release === undefined
          ? -1
          : release >= 0
            ? release
            : (release = columns.release.indexOf(context.release)),
      environment: () =>
        context.environment === undefined
          ? -1
          : environment >= 0
            ? environment
            : (environment = columns.environment.indexOf(context.environment)),
    }
  }

  private scopeSpans(
    end: number,
    context: ResourceContext,
    resource: ResourceIndexes,
    r: number,
    s: number,
  ): void {
    const reader = this.r
    let i = 0
    while (reader.pos < end) {
      const tag = reader.tag(end, 'ScopeSpans')
      if (tag === SCOPE_SPANS_SPANS) {
        this.span(reader.lengthDelimited(end))
        this.mapSpan(context, resource, r, s, i++)
      } else reader.skip(tag, end)
    }
  }

  /** Decodes one Span into the scratch fields. */
  private span(end: number): void {
    const r = this.r
    this.attributes.count = 0
    this.flags.count = 0
    this.traceIdStart = this.traceIdEnd = 0
    this.spanIdStart = this.spanIdEnd = 0
    this.parentStart = this.parentEnd = 0
    this.nameStart = this.nameEnd = 0
    this.kind = 0
    this.startHigh = this.startLow = this.endHigh = this.endLow = 0
    this.statusCode = 0
    this.messageStart = this.messageEnd = 0
    while (r.pos < end) {
      const tag = r.tag(end, 'Span')
      switch (tag) {
        case SPAN.attributes:
          readKeyValue(r, r.lengthDelimited(end), this.attributes)
          break
        case SPAN.traceId:
          this.traceIdStart = r.bytesRange(end)
          this.traceIdEnd = r.pos
          break
        case SPAN.spanId:
          this.spanIdStart = r.bytesRange(end)
          this.spanIdEnd = r.pos
          break
        case SPAN.parentSpanId:
          this.parentStart = r.bytesRange(end)
          this.parentEnd = r.pos
          break
        case SPAN.name:
          this.nameStart = r.utf8Range(end)
          this.nameEnd = r.pos
          break
        case SPAN.kind:
          this.kind = r.int32(end)
          break
        case SPAN.startTimeUnixNano:
          r.fixed64Words(end)
          this.startHigh = r.high
          this.startLow = r.low
          break
        case SPAN.endTimeUnixNano:
          r.fixed64Words(end)
          this.endHigh = r.high
          this.endLow = r.low
          break
        case SPAN.events:
          this.event(r.lengthDelimited(end))
          break
        case SPAN.status:
          this.status(r.lengthDelimited(end))
          break
        default:
          r.skip(tag, end)
      }
    }
  }

  /** A span event: only flag evaluations matter, read into the span's flags. */
  private event(end: number): void {
    const r = this.r
    const start = r.pos
    // SDKs write the name first: the attributes of other events are skipped unread.
    const skipped = this.eventFields(end, true)
    if (!this.eventIsFlag) return
    if (skipped) {
      // The name was given twice, a flag evaluation's last (the last one counts): read the
      // event again, keeping the attributes skipped under the first name.
      r.pos = start
      this.eventFields(end, false)
    }
    const attributes = this.eventAttributes
    const key = this.lastAttribute(attributes, FLAG_KEY_BYTES)
    if (key < 0 || attributes.values.isEmpty(key)) return
    const flag = this.flags.add()
    copyValue(attributes.values, key, this.flags.keys, flag)
    this.flags.variants.setText(flag, '')
    for (const name of FLAG_VARIANT_BYTES) {
      const variant = this.lastAttribute(attributes, name)
      if (variant >= 0) {
        copyValue(attributes.values, variant, this.flags.variants, flag)
        break
      }
    }
  }

  /** Whether the event read last is a flag evaluation, by its name. */
  private eventIsFlag = false

  /**
   * Reads an event's name (into eventIsFlag) and attributes (into eventAttributes);
   * with `skipOthers`, attributes that follow a name other than a flag evaluation's are
   * skipped. Returns whether any were.
   */
  private eventFields(end: number, skipOthers: boolean): boolean {
    const r = this.r
    const attributes = this.eventAttributes
    attributes.count = 0
    this.eventIsFlag = false
    let skipping = false
    let skipped = false
    while (r.pos < end) {
      const tag = r.tag(end, 'Span.Event')
      if (tag === EVENT.name) {
        const nameStart = r.utf8Range(end)
        this.eventIsFlag = this.isFlagEvent(nameStart, r.pos)
        skipping = skipOthers && !this.eventIsFlag
      } else if (tag === EVENT.attributes) {
        const attributeEnd = r.lengthDelimited(end)
        if (skipping) {
          r.pos = attributeEnd
          skipped = true
        } else readKeyValue(r, attributeEnd, attributes)
      } else r.skip(tag, end)
    }
    return skipped
  }

  private status(end: number): void {
    const r = this.r
    while (r.pos < end) {
      const tag = r.tag(end, 'Status')
      if (tag === STATUS.code) this.statusCode = r.int32(end)
      else if (tag === STATUS.message) {
        this.messageStart = r.utf8Range(end)
        this.messageEnd = r.pos
      } else r.skip(tag, end)
    }
  }

  /** Validates the decoded span and writes it to the columns, or counts it as refused. */
  private mapSpan(
    context: ResourceContext,
    resource: ResourceIndexes,
    r: number,
    s: number,
    i: number,
  ): void {
    const problem = context.problem ?? this.spanProblem() ?? this.timeProblem()
    const index = this.index++
    if (problem !== undefined) {
      const message = rejectionMessage(
        this.r.text(this.nameStart, this.nameEnd),
        r,
        s,
        i,
        problem === EXPIRED ? expiredProblem(this.options.retentionDays) : problem,
      )
      this.rejections.push({ index, resourceIndex: r, scopeIndex: s, spanIndex: i, message })
      if (problem === EXPIRED) this.expired++
      else this.firstRejection ??= message
      return
    }
    this.accepted++
    this.writeSpan(resource)
  }

  private spanProblem(): string | undefined {
    return (
      attributeCountProblem(this.attributes.count, this.mapping.maxAttributesPerSpan) ??
      this.idProblem('traceId', this.traceIdStart, this.traceIdEnd, TRACE_ID_BYTES) ??
      this.idProblem('spanId', this.spanIdStart, this.spanIdEnd, SPAN_ID_BYTES) ??
      this.parentProblem()
    )
  }

  private idProblem(name: string, start: number, end: number, bytes: number): string | undefined {
    if (end - start !== bytes) return idLengthProblem(name, String(bytes), end - start)
    return this.isZero(start, end) ? zeroIdProblem(name) : undefined
  }

  /** A root span has no parent id; some senders write an all-zero id instead, read alike. */
  private parentProblem(): string | undefined {
    const length = this.parentEnd - this.parentStart
    if (length === 0 || length === SPAN_ID_BYTES) return undefined
    return idLengthProblem('parentSpanId', `0 or ${SPAN_ID_BYTES}`, length)
  }

  private timeProblem(): string | undefined {
    const { startHigh, startLow, endHigh, endLow } = this
    if (startHigh > MAX_START_HIGH || (startHigh === MAX_START_HIGH && startLow >= MAX_START_LOW)) {
      return startTooLateProblem(toBigInt(startHigh, startLow))
    }
    if (endHigh < startHigh || (endHigh === startHigh && endLow < startLow)) {
      return endBeforeStartProblem(toBigInt(endHigh, endLow), toBigInt(startHigh, startLow))
    }
    if (
      startHigh < this.cutoffHigh ||
      (startHigh === this.cutoffHigh && startLow < this.cutoffLow)
    ) {
      return EXPIRED
    }
    return undefined
  }

  private writeSpan(resource: ResourceIndexes): void {
    const columns = this.columns
    const bytes = this.bytes
    const attributes = this.attributes
    const values = attributes.values
    const keys = columns.span_attributes.keys
    // Where the keys that matter are, last occurrence winning.
    let status = -1
    let legacyStatus = -1
    let route = -1
    let release = -1
    const environments = this.environmentNames.length
    const environmentAt = this.environmentAt.fill(-1)
    for (let a = 0; a < attributes.count; a++) {
      const keyStart = attributes.keyStart[a]!
      const keyEnd = attributes.keyEnd[a]!
      // Spans of one request mostly repeat their keys in the same order: the key at this
      // place in the last span is checked before the dictionary is searched.
      let position = attributes.positions[a]!
      if (!keys.dictionary.isEntry(position, bytes, keyStart, keyEnd)) {
        position = keys.indexOfBytes(bytes, keyStart, keyEnd)
        attributes.positions[a] = position
      }
      if (position >= this.classified) this.classify(keys)
      const role = this.roles[position]!
      if (role !== 0) {
        if (role & ROLE.status) status = a
        if (role & ROLE.legacyStatus) legacyStatus = a
        if (role & ROLE.route) route = a
        if (role & ROLE.release) release = a
        if (role & ROLE.flag) this.prefixFlag(a)
      }
      const rank = this.environmentRanks[position]!
      if (rank !== 0) environmentAt[rank - 1] = a
    }

    const kind = toKindName(this.kind)
    const statusName = toStatusName(this.statusCode)
    const httpStatusCode = this.httpStatusCode(status >= 0 ? status : legacyStatus)

    columns.timestamp.uint64(this.startHigh, this.startLow)
    columns.service.index(resource.service())
    const environment = resource.environment()
    if (environment >= 0) columns.environment.index(environment)
    else {
      let chosen = -1
      for (let k = 0; k < environments && chosen < 0; k++) {
        const at = environmentAt[k]!
        if (at >= 0 && !values.isEmpty(at)) chosen = at
      }
      columns.environment.index(chosen < 0 ? 0 : this.indexIn(columns.environment, values, chosen))
    }
    const resourceRelease = resource.release()
    if (resourceRelease >= 0) columns.release.index(resourceRelease)
    else {
      columns.release.index(
        release < 0 || values.isEmpty(release) ? 0 : this.indexIn(columns.release, values, release),
      )
    }
    this.writeFlags()
    columns.name.index(columns.name.indexOfBytes(bytes, this.nameStart, this.nameEnd))
    columns.kind.string(kind)
    columns.status_code.string(statusName)
    columns.status_message.copy(bytes, this.messageStart, this.messageEnd)
    columns.http_status_code.uint16(httpStatusCode)
    columns.http_route.index(route < 0 ? 0 : this.indexIn(columns.http_route, values, route))
    columns.is_error.uint8(isErrorSpan(statusName, kind, httpStatusCode))
    const hasParent =
      this.parentEnd > this.parentStart && !this.isZero(this.parentStart, this.parentEnd)
    columns.is_entry.uint8(isEntrySpan(kind, hasParent))
    let durationLow = this.endLow - this.startLow
    let durationHigh = this.endHigh - this.startHigh
    if (durationLow < 0) {
      durationLow += TWO_POW_32
      durationHigh -= 1
    }
    columns.duration_ns.uint64(durationHigh, durationLow)
    columns.trace_id.hex(bytes, this.traceIdStart, this.traceIdEnd)
    columns.span_id.hex(bytes, this.spanIdStart, this.spanIdEnd)
    if (hasParent) columns.parent_span_id.hex(bytes, this.parentStart, this.parentEnd)
    else columns.parent_span_id.copy(bytes, 0, 0)
    this.builder.appendResourceAttributes()
    columns.span_attributes.rowOfIndexes(
      attributes.positions,
      attributes.count,
      this.writeAttributeValue,
    )
  }

  private readonly writeAttributeValue = (a: number): void => {
    writeValue(this.columns.span_attributes.values, this.attributes.values, a, this.bytes)
  }

  private readonly writeFlagVariant = (f: number): void => {
    writeValue(this.columns.flags.values, this.flags.variants, f, this.bytes)
  }

  /** Flags from attributes `<prefix><key>` (first, so that events win), then from events. */
  private prefixFlag(a: number): void {
    const attributes = this.attributes
    const flags = this.flags
    // Event flags were gathered while decoding: this attribute flag goes before them.
    flags.add()
    for (let f = flags.count - 1; f > this.prefixFlags; f--) {
      copyValue(flags.keys, f - 1, flags.keys, f)
      copyValue(flags.variants, f - 1, flags.variants, f)
    }
    const at = this.prefixFlags++
    flags.keys.setRange(at, attributes.keyStart[a]! + this.flagPrefix.length, attributes.keyEnd[a]!)
    copyValue(attributes.values, a, flags.variants, at)
  }

  private prefixFlags = 0

  private writeFlags(): void {
    const flags = this.flags
    const keys = this.columns.flags.keys
    for (let f = 0; f < flags.count; f++) {
      flags.positions[f] = this.indexIn(keys, flags.keys, f)
    }
    this.columns.flags.rowOfIndexes(flags.positions, flags.count, this.writeFlagVariant)
    this.prefixFlags = 0
  }

  /** Classifies the dictionary's new keys: what each means to the mapping. */
  private classify(keys: LowCardinalityColumn): void {
    const size = keys.dictionary.size
    if (size > this.roles.length) {
      this.roles = growUint8(this.roles, size * 2)
      this.environmentRanks = growUint8(this.environmentRanks, size * 2)
    }
    const prefix = this.flagPrefix
    for (let position = this.classified; position < size; position++) {
      const key = keys.dictionary.bytesOf(position)
      let role = 0
      if (sameBytes(key, HTTP_STATUS_BYTES)) role |= ROLE.status
      if (sameBytes(key, LEGACY_HTTP_STATUS_BYTES)) role |= ROLE.legacyStatus
      if (sameBytes(key, HTTP_ROUTE_BYTES)) role |= ROLE.route
      if (sameBytes(key, this.releaseName)) role |= ROLE.release
      if (prefix.length > 0 && key.length > prefix.length && startsWith(key, prefix)) {
        role |= ROLE.flag
      }
      this.roles[position] = role
      const rank = this.environmentNames.findIndex((name) => sameBytes(key, name))
      this.environmentRanks[position] = rank + 1
    }
    this.classified = size
  }

  private httpStatusCode(a: number): number {
    if (a < 0) return 0
    const values = this.attributes.values
    const start = values.start[a]!
    if (start < 0) return toHttpStatusCode(values.texts[a])
    const end = values.end[a]!
    const bytes = this.bytes
    if (end - start !== 3) return 0
    const hundreds = bytes[start]! - 0x30
    const tens = bytes[start + 1]! - 0x30
    const units = bytes[start + 2]! - 0x30
    if (hundreds < 1 || hundreds > 9 || tens < 0 || tens > 9 || units < 0 || units > 9) return 0
    return hundreds * 100 + tens * 10 + units
  }

  /** The dictionary index in `column` of value `i` of `values`. */
  private indexIn(column: LowCardinalityColumn, values: Values, i: number): number {
    const start = values.start[i]!
    return start < 0
      ? column.indexOf(values.texts[i]!)
      : column.indexOfBytes(this.bytes, start, values.end[i]!)
  }

  private isFlagEvent(start: number, end: number): boolean {
    for (const name of FLAG_EVENT_NAME_BYTES) if (this.equals(start, end, name)) return true
    return false
  }

  private lastAttribute(attributes: Attributes, name: Uint8Array): number {
    for (let a = attributes.count - 1; a >= 0; a--) {
      if (this.equals(attributes.keyStart[a]!, attributes.keyEnd[a]!, name)) return a
    }
    return -1
  }

  private equals(start: number, end: number, name: Uint8Array): boolean {
    if (end - start !== name.length) return false
    const bytes = this.bytes
    for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false
    return true
  }

  private isZero(start: number, end: number): boolean {
    const bytes = this.bytes
    for (let i = start; i < end; i++) if (bytes[i] !== 0) return false
    return true
  }
}

interface ResourceIndexes {
  service(): number
  /** -1 when the resource has none: the span's own attribute decides. */
  release(): number
  environment(): number
}

const HTTP_STATUS_BYTES = encoder.encode(HTTP_STATUS_ATTRIBUTE)
const LEGACY_HTTP_STATUS_BYTES = encoder.encode(LEGACY_HTTP_STATUS_ATTRIBUTE)
const HTTP_ROUTE_BYTES = encoder.encode(HTTP_ROUTE_ATTRIBUTE)

function toBigInt(high: number, low: number): bigint {
  return (BigInt(high) << 32n) | BigInt(low)
}
