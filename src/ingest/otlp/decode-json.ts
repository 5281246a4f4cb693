import { RhError, toMessage } from '../../errors.ts'
import {
  arrayAt,
  boolAt,
  bytesAt,
  describe,
  doubleAt,
  enumAt,
  field,
  int64At,
  isJsonObject,
  joinPath,
  jsonError,
  objectAt,
  stringAt,
  uint64At,
  type JsonObject,
} from './json-fields.ts'
import {
  EMPTY_STATUS,
  MAX_ANY_VALUE_DEPTH,
  NO_EVENTS,
  NO_KEY_VALUES,
  type AnyValue,
  type InstrumentationScope,
  type KeyValue,
  type KeyValueList,
  type ResourceSpans,
  type ScopeSpans,
  type Span,
  type SpanEvent,
  type SpanStatus,
  type TraceRequest,
} from './otlp-types.ts'

/** Enum value names by number, for senders that use the protobuf JSON names. */
const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
]
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']

const LOWER_HEX = /^[0-9a-f]*$/
const ANY_CASE_HEX = /^[0-9a-fA-F]*$/

const utf8 = new TextDecoder('utf-8', { fatal: true })

const EMPTY_SCOPE: InstrumentationScope = Object.freeze({ name: '', version: '' })

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest` (the body of `POST /v1/traces` with
 * `Content-Type: application/json`, or a Kafka `otlp_json` message), following
 * opentelemetry-proto `docs/specification.md`: lowerCamelCase field names (the original
 * snake_case names are accepted too, as the protobuf JSON mapping allows), hex trace and span
 * ids, integer enums (enum names accepted), int64 as a string or a number, unknown fields
 * ignored. Raw bytes are decoded as strict UTF-8 first.
 *
 * Ids are lower-cased when they are hex. An id that is not hex (typically base64 from a
 * generic protobuf JSON marshaller) is passed through unchanged rather than refusing the
 * batch: `toSpanRows` then rejects only the spans that carry it, with a message saying ids
 * must be hex, and keeps the rest, the same treatment a protobuf id of the wrong length gets.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` (HTTP 400) for invalid JSON, invalid UTF-8 or a
 *   value of the wrong type, naming its JSON path, e.g.
 *   `resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano must be an integer string`.
 */
export function decodeTraceRequestJson(body: string | Uint8Array): TraceRequest {
  const request = parseJson(body)
  if (!isJsonObject(request)) {
    throw jsonError('the body', '', 'must be a JSON object (an ExportTraceServiceRequest)')
  }
  const resourceSpans = arrayAt(
    field(request, 'resourceSpans', 'resource_spans'),
    '',
    'resourceSpans',
  )
  return {
    resourceSpans: resourceSpans.map((element, i) =>
      decodeResourceSpans(elementAt(element, 'resourceSpans', i), `resourceSpans[${i}]`),
    ),
  }
}

/** The body as JSON: strict UTF-8, then JSON.parse, each failure an undecodable-input error. */
export function parseJson(body: string | Uint8Array): unknown {
  let text: string
  try {
    text = typeof body === 'string' ? body : utf8.decode(body)
  } catch {
    throw new RhError('RH_INGEST_UNDECODABLE', 'json: the body is not valid UTF-8')
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      `json: the body is not valid JSON: ${toMessage(error)}`,
    )
  }
}

function decodeResourceSpans(object: JsonObject, path: string): ResourceSpans {
  const resource = objectAt(field(object, 'resource'), path, 'resource')
  const scopeSpans = arrayAt(field(object, 'scopeSpans', 'scope_spans'), path, 'scopeSpans')
  const scopeSpansPath = `${path}.scopeSpans`
  return {
    resource: {
      attributes:
        resource === undefined
          ? NO_KEY_VALUES
          : keyValuesAt(field(resource, 'attributes'), `${path}.resource`, 'attributes'),
    },
    scopeSpans: scopeSpans.map((element, i) =>
      decodeScopeSpans(elementAt(element, scopeSpansPath, i), `${scopeSpansPath}[${i}]`),
    ),
  }
}

function decodeScopeSpans(object: JsonObject, path: string): ScopeSpans {
  const scope = objectAt(field(object, 'scope'), path, 'scope')
  const spans = arrayAt(field(object, 'spans'), path, 'spans')
  const spansPath = `${path}.spans`
  return {
    scope: scope === undefined ? EMPTY_SCOPE : decodeScope(scope, `${path}.scope`),
    spans: spans.map((element, i) =>
      decodeSpan(elementAt(element, spansPath, i), `${spansPath}[${i}]`),
    ),
  }
}

export function decodeScope(scope: JsonObject, path: string): InstrumentationScope {
  return {
    name: stringAt(field(scope, 'name'), path, 'name'),
    version: stringAt(field(scope, 'version'), path, 'version'),
  }
}

function decodeSpan(span: JsonObject, path: string): Span {
  const events = arrayAt(field(span, 'events'), path, 'events')
  const status = objectAt(field(span, 'status'), path, 'status')
  return {
    traceId: idAt(field(span, 'traceId', 'trace_id'), path, 'traceId'),
    spanId: idAt(field(span, 'spanId', 'span_id'), path, 'spanId'),
    parentSpanId: idAt(field(span, 'parentSpanId', 'parent_span_id'), path, 'parentSpanId'),
    name: stringAt(field(span, 'name'), path, 'name'),
    kind: enumAt(field(span, 'kind'), path, 'kind', SPAN_KIND_NAMES),
    startTimeUnixNano: uint64At(
      field(span, 'startTimeUnixNano', 'start_time_unix_nano'),
      path,
      'startTimeUnixNano',
    ),
    endTimeUnixNano: uint64At(
      field(span, 'endTimeUnixNano', 'end_time_unix_nano'),
      path,
      'endTimeUnixNano',
    ),
    attributes: keyValuesAt(field(span, 'attributes'), path, 'attributes'),
    events: events.length === 0 ? NO_EVENTS : decodeEvents(events, `${path}.events`),
    status: status === undefined ? EMPTY_STATUS : decodeStatus(status, `${path}.status`),
  }
}

function decodeEvents(events: readonly unknown[], path: string): SpanEvent[] {
  return events.map((element, i) => {
    const event = elementAt(element, path, i)
    const eventPath = `${path}[${i}]`
    return {
      timeUnixNano: uint64At(
        field(event, 'timeUnixNano', 'time_unix_nano'),
        eventPath,
        'timeUnixNano',
      ),
      name: stringAt(field(event, 'name'), eventPath, 'name'),
      attributes: keyValuesAt(field(event, 'attributes'), eventPath, 'attributes'),
    }
  })
}

function decodeStatus(status: JsonObject, path: string): SpanStatus {
  return {
    code: enumAt(field(status, 'code'), path, 'code', STATUS_CODE_NAMES),
    message: stringAt(field(status, 'message'), path, 'message'),
  }
}

/** See the note on ids in `decodeTraceRequestJson`. */
export function idAt(value: unknown, path: string, name: string): string {
  const id = stringAt(value, path, name)
  if (LOWER_HEX.test(id) || !ANY_CASE_HEX.test(id)) return id
  return id.toLowerCase()
}

/** A repeated `KeyValue` field (attributes), each value decoded as its AnyValue case. */
export function keyValuesAt(
  value: unknown,
  path: string,
  name: string,
  depth = 0,
): readonly KeyValue[] {
  const list = arrayAt(value, path, name)
  if (list.length === 0) return NO_KEY_VALUES
  const listPath = joinPath(path, name)
  return list.map((element, i) => {
    const keyValue = elementAt(element, listPath, i)
    const keyValuePath = `${listPath}[${i}]`
    const anyValue = objectAt(field(keyValue, 'value'), keyValuePath, 'value')
    return {
      key: stringAt(field(keyValue, 'key'), keyValuePath, 'key'),
      value:
        anyValue === undefined ? null : decodeAnyValue(anyValue, `${keyValuePath}.value`, depth),
    }
  })
}

type AnyValueCase = (value: unknown, path: string, name: string, depth: number) => AnyValue

/** The cases of the AnyValue oneof: JSON name, proto name, decoder. */
const ANY_VALUE_CASES: readonly (readonly [string, string, AnyValueCase])[] = [
  ['stringValue', 'string_value', stringAt],
  ['intValue', 'int_value', int64At],
  ['boolValue', 'bool_value', boolAt],
  ['doubleValue', 'double_value', doubleAt],
  ['arrayValue', 'array_value', arrayValueAt],
  ['kvlistValue', 'kvlist_value', kvlistValueAt],
  ['bytesValue', 'bytes_value', bytesAt],
]

/** A singular AnyValue field (a log record's body): absent is the empty value. */
export function anyValueAt(value: unknown, path: string, name: string): AnyValue {
  const anyValue = objectAt(value, path, name)
  return anyValue === undefined ? null : decodeAnyValue(anyValue, joinPath(path, name), 0)
}

/** An AnyValue object sets one case; none set is the empty value. */
function decodeAnyValue(anyValue: JsonObject, path: string, depth: number): AnyValue {
  for (const [jsonName, protoName, decodeCase] of ANY_VALUE_CASES) {
    const value = field(anyValue, jsonName, protoName)
    if (value !== undefined) return decodeCase(value, path, jsonName, depth)
  }
  return null
}

function arrayValueAt(value: unknown, path: string, name: string, depth: number): AnyValue[] {
  const arrayPath = joinPath(path, name)
  const arrayValue = objectAt(value, path, name)
  const values = arrayAt(arrayValue && field(arrayValue, 'values'), arrayPath, 'values')
  const valuesPath = `${arrayPath}.values`
  const elementDepth = nested(depth, arrayPath)
  return values.map((element, i) =>
    decodeAnyValue(elementAt(element, valuesPath, i), `${valuesPath}[${i}]`, elementDepth),
  )
}

function kvlistValueAt(value: unknown, path: string, name: string, depth: number): KeyValueList {
  const kvlistPath = joinPath(path, name)
  const kvlistValue = objectAt(value, path, name)
  const values = kvlistValue && field(kvlistValue, 'values')
  return { kvlist: keyValuesAt(values, kvlistPath, 'values', nested(depth, kvlistPath)) }
}

function nested(depth: number, path: string): number {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw jsonError(path, '', `is nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`)
  }
  return depth + 1
}

/** An element of a repeated message field: protobuf JSON does not allow null there. */
export function elementAt(value: unknown, listPath: string, index: number): JsonObject {
  if (isJsonObject(value)) return value
  throw jsonError(listPath, `[${index}]`, `must be an object, got ${describe(value)}`)
}
