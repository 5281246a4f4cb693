import { RhError } from '../../errors.ts'
import type { LogRecord, LogsRequest, ResourceLogs, ScopeLogs } from './otlp-log-types.ts'
import {
  NO_KEY_VALUES,
  type AnyValue,
  type InstrumentationScope,
  type KeyValue,
  type Resource,
} from './otlp-types.ts'
import { decodeAnyValue, decodeKeyValue } from './protobuf-any-value.ts'
import { fieldTag, ProtobufReader, WIRE_TYPE } from './protobuf-reader.ts'

const { varint, fixed64, lengthDelimited } = WIRE_TYPE

// Field tags from opentelemetry-proto: collector/logs/v1/logs_service.proto,
// logs/v1/logs.proto, resource/v1/resource.proto and common/v1/common.proto.
export const LOGS_FIELDS = {
  requestResourceLogs: fieldTag(1, lengthDelimited),
  resourceLogs: { resource: fieldTag(1, lengthDelimited), scopeLogs: fieldTag(2, lengthDelimited) },
  resourceAttributes: fieldTag(1, lengthDelimited),
  scopeLogs: { scope: fieldTag(1, lengthDelimited), logRecords: fieldTag(2, lengthDelimited) },
  scope: { name: fieldTag(1, lengthDelimited), version: fieldTag(2, lengthDelimited) },
  logRecord: {
    timeUnixNano: fieldTag(1, fixed64),
    severityNumber: fieldTag(2, varint),
    severityText: fieldTag(3, lengthDelimited),
    body: fieldTag(5, lengthDelimited),
    attributes: fieldTag(6, lengthDelimited),
    traceId: fieldTag(9, lengthDelimited),
    spanId: fieldTag(10, lengthDelimited),
    observedTimeUnixNano: fieldTag(11, fixed64),
    eventName: fieldTag(12, lengthDelimited),
  },
} as const

const F = LOGS_FIELDS
const EMPTY_SCOPE: InstrumentationScope = Object.freeze({ name: '', version: '' })
const EMPTY_RESOURCE: Resource = Object.freeze({ attributes: NO_KEY_VALUES })

/** 0x1f cannot start a protobuf message (wire type 7), but it does start every gzip stream. */
export function refuseUndeclaredGzip(bytes: Uint8Array): void {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      'protobuf: the body is gzip-compressed but was not declared so; send it with "Content-Encoding: gzip"',
    )
  }
}

/**
 * Decodes an OTLP/protobuf `ExportLogsServiceRequest` into objects, by the same rules as
 * `decodeTraceRequestProtobuf` (unknown fields skipped, lengths checked before reading,
 * strict UTF-8, ids as lower-case hex). The ingest path decodes into columns instead
 * (`decode-logs-columnar.ts`); this form serves tests and tools.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` naming the field, byte offset and message.
 */
export function decodeLogsRequestProtobuf(bytes: Uint8Array): LogsRequest {
  refuseUndeclaredGzip(bytes)
  const r = new ProtobufReader(bytes)
  const end = bytes.length
  const resourceLogs: ResourceLogs[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ExportLogsServiceRequest')
    if (tag === F.requestResourceLogs)
      resourceLogs.push(decodeResourceLogs(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { resourceLogs }
}

function decodeResourceLogs(r: ProtobufReader, end: number): ResourceLogs {
  let resource = EMPTY_RESOURCE
  const scopeLogs: ScopeLogs[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ResourceLogs')
    if (tag === F.resourceLogs.resource) resource = decodeResource(r, r.lengthDelimited(end))
    else if (tag === F.resourceLogs.scopeLogs)
      scopeLogs.push(decodeScopeLogs(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { resource, scopeLogs }
}

function decodeResource(r: ProtobufReader, end: number): Resource {
  const attributes: KeyValue[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'Resource')
    if (tag === F.resourceAttributes) attributes.push(decodeKeyValue(r, r.lengthDelimited(end)))
    else r.skip(tag, end)
  }
  return { attributes }
}

function decodeScopeLogs(r: ProtobufReader, end: number): ScopeLogs {
  let scope = EMPTY_SCOPE
  const logRecords: LogRecord[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ScopeLogs')
    if (tag === F.scopeLogs.logRecords) logRecords.push(decodeLogRecord(r, r.lengthDelimited(end)))
    else if (tag === F.scopeLogs.scope) scope = decodeScope(r, r.lengthDelimited(end))
    else r.skip(tag, end)
  }
  return { scope, logRecords }
}

function decodeScope(r: ProtobufReader, end: number): InstrumentationScope {
  let name = ''
  let version = ''
  while (r.pos < end) {
    const tag = r.tag(end, 'InstrumentationScope')
    if (tag === F.scope.name) name = r.string(end)
    else if (tag === F.scope.version) version = r.string(end)
    else r.skip(tag, end)
  }
  return { name, version }
}

function decodeLogRecord(r: ProtobufReader, end: number): LogRecord {
  let timeUnixNano = 0n
  let observedTimeUnixNano = 0n
  let severityNumber = 0
  let severityText = ''
  let body: AnyValue = null
  let attributes: KeyValue[] | undefined
  let traceId = ''
  let spanId = ''
  let eventName = ''
  while (r.pos < end) {
    const tag = r.tag(end, 'LogRecord')
    switch (tag) {
      case F.logRecord.attributes:
        ;(attributes ??= []).push(decodeKeyValue(r, r.lengthDelimited(end)))
        break
      case F.logRecord.timeUnixNano:
        timeUnixNano = r.fixed64(end)
        break
      case F.logRecord.observedTimeUnixNano:
        observedTimeUnixNano = r.fixed64(end)
        break
      case F.logRecord.severityNumber:
        severityNumber = r.int32(end)
        break
      case F.logRecord.severityText:
        severityText = r.string(end)
        break
      case F.logRecord.body:
        body = decodeAnyValue(r, r.lengthDelimited(end), 0)
        break
      case F.logRecord.traceId:
        traceId = r.hex(end)
        break
      case F.logRecord.spanId:
        spanId = r.hex(end)
        break
      case F.logRecord.eventName:
        eventName = r.string(end)
        break
      default:
        r.skip(tag, end)
    }
  }
  return {
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber,
    severityText,
    body,
    attributes: attributes ?? NO_KEY_VALUES,
    traceId,
    spanId,
    eventName,
  }
}
