import { RhError } from '../../errors.ts'
import {
  EMPTY_STATUS,
  NO_EVENTS,
  NO_KEY_VALUES,
  type InstrumentationScope,
  type KeyValue,
  type Resource,
  type ResourceSpans,
  type ScopeSpans,
  type Span,
  type SpanEvent,
  type SpanStatus,
  type TraceRequest,
} from './otlp-types.ts'
import { decodeKeyValue } from './protobuf-any-value.ts'
import { fieldTag, ProtobufReader, WIRE_TYPE } from './protobuf-reader.ts'

const { varint, fixed64, lengthDelimited } = WIRE_TYPE

// Field tags from opentelemetry-proto: collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, resource/v1/resource.proto and common/v1/common.proto. Fields not
// listed (links, trace_state, flags, dropped counts, schema urls) are skipped as unknown, and
// so is a known field arriving with another wire type, as protobuf's own parsers do.
const REQUEST = { resourceSpans: fieldTag(1, lengthDelimited) }
const RESOURCE_SPANS = {
  resource: fieldTag(1, lengthDelimited),
  scopeSpans: fieldTag(2, lengthDelimited),
}
const RESOURCE = { attributes: fieldTag(1, lengthDelimited) }
const SCOPE_SPANS = { scope: fieldTag(1, lengthDelimited), spans: fieldTag(2, lengthDelimited) }
const SCOPE = { name: fieldTag(1, lengthDelimited), version: fieldTag(2, lengthDelimited) }
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
const EVENT = {
  timeUnixNano: fieldTag(1, fixed64),
  name: fieldTag(2, lengthDelimited),
  attributes: fieldTag(3, lengthDelimited),
}
const STATUS = { message: fieldTag(2, lengthDelimited), code: fieldTag(3, varint) }

const EMPTY_SCOPE: InstrumentationScope = Object.freeze({ name: '', version: '' })
const EMPTY_RESOURCE: Resource = Object.freeze({ attributes: NO_KEY_VALUES })

/**
 * Decodes an OTLP/protobuf `ExportTraceServiceRequest` (the body of `POST /v1/traces` with
 * `Content-Type: application/x-protobuf`, or a Kafka `otlp_proto` message).
 *
 * Unknown fields are skipped, so newer senders stay compatible. Lengths are checked against
 * the bytes that remain before anything is read or allocated, and strings must be valid UTF-8.
 * Ids become lower-case hex; their lengths are checked per span by the mapping (`toSpanRows`),
 * which rejects only the offending span.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` (HTTP 400) naming the field, byte offset and message
 *   for truncated or malformed input; never any other error for bad input.
 */
export function decodeTraceRequestProtobuf(bytes: Uint8Array): TraceRequest {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // 0x1f cannot start a protobuf message (wire type 7), but it does start every gzip stream.
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      'protobuf: the body is gzip-compressed but was not declared so; send it with "Content-Encoding: gzip"',
    )
  }
  const r = new ProtobufReader(bytes)
  const end = bytes.length
  const resourceSpans: ResourceSpans[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ExportTraceServiceRequest')
    if (tag === REQUEST.resourceSpans)
      resourceSpans.push(decodeResourceSpans(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { resourceSpans }
}

function decodeResourceSpans(r: ProtobufReader, end: number): ResourceSpans {
  let resource = EMPTY_RESOURCE
  const scopeSpans: ScopeSpans[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ResourceSpans')
    if (tag === RESOURCE_SPANS.resource) resource = decodeResource(r, r.lengthDelimited(end))
    else if (tag === RESOURCE_SPANS.scopeSpans)
      scopeSpans.push(decodeScopeSpans(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { resource, scopeSpans }
}

function decodeResource(r: ProtobufReader, end: number): Resource {
  const attributes: KeyValue[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'Resource')
    if (tag === RESOURCE.attributes) attributes.push(decodeKeyValue(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { attributes }
}

function decodeScopeSpans(r: ProtobufReader, end: number): ScopeSpans {
  let scope = EMPTY_SCOPE
  const spans: Span[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ScopeSpans')
    if (tag === SCOPE_SPANS.spans) spans.push(decodeSpan(r, r.lengthDelimited(end)))
    else if (tag === SCOPE_SPANS.scope) scope = decodeScope(r, r.lengthDelimited(end))
    else r.skip(tag, end)
  }
  return { scope, spans }
}

function decodeScope(r: ProtobufReader, end: number): InstrumentationScope {
  let name = ''
  let version = ''
  while (r.pos < end) {
    const tag = r.tag(end, 'InstrumentationScope')
    if (tag === SCOPE.name) name = r.string(end)
    else if (tag === SCOPE.version) version = r.string(end)
    else r.skip(tag, end)
  }
  return { name, version }
}

function decodeSpan(r: ProtobufReader, end: number): Span {
  let traceId = ''
  let spanId = ''
  let parentSpanId = ''
  let name = ''
  let kind = 0
  let startTimeUnixNano = 0n
  let endTimeUnixNano = 0n
  // Created on first use: many spans have no events, and the shared empty list costs nothing.
  let attributes: KeyValue[] | undefined
  let events: SpanEvent[] | undefined
  let status = EMPTY_STATUS
  while (r.pos < end) {
    const tag = r.tag(end, 'Span')
    switch (tag) {
      case SPAN.attributes:
        ;(attributes ??= []).push(decodeKeyValue(r, r.lengthDelimited(end)))
        break
      case SPAN.traceId:
        traceId = r.hex(end)
        break
      case SPAN.spanId:
        spanId = r.hex(end)
        break
      case SPAN.parentSpanId:
        parentSpanId = r.hex(end)
        break
      case SPAN.name:
        name = r.string(end)
        break
      case SPAN.kind:
        kind = r.int32(end)
        break
      case SPAN.startTimeUnixNano:
        startTimeUnixNano = r.fixed64(end)
        break
      case SPAN.endTimeUnixNano:
        endTimeUnixNano = r.fixed64(end)
        break
      case SPAN.events:
        ;(events ??= []).push(decodeEvent(r, r.lengthDelimited(end)))
        break
      case SPAN.status:
        status = decodeStatus(r, r.lengthDelimited(end))
        break
      default:
        r.skip(tag, end)
    }
  }
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes: attributes ?? NO_KEY_VALUES,
    events: events ?? NO_EVENTS,
    status,
  }
}

function decodeEvent(r: ProtobufReader, end: number): SpanEvent {
  let timeUnixNano = 0n
  let name = ''
  let attributes: KeyValue[] | undefined
  while (r.pos < end) {
    const tag = r.tag(end, 'Span.Event')
    if (tag === EVENT.attributes)
      (attributes ??= []).push(decodeKeyValue(r, r.lengthDelimited(end)))
    else if (tag === EVENT.name) name = r.string(end)
    else if (tag === EVENT.timeUnixNano) timeUnixNano = r.fixed64(end)
    else r.skip(tag, end)
  }
  return { timeUnixNano, name, attributes: attributes ?? NO_KEY_VALUES }
}

function decodeStatus(r: ProtobufReader, end: number): SpanStatus {
  let code = 0
  let message = ''
  while (r.pos < end) {
    const tag = r.tag(end, 'Status')
    if (tag === STATUS.code) code = r.int32(end)
    else if (tag === STATUS.message) message = r.string(end)
    else r.skip(tag, end)
  }
  return { code, message }
}
