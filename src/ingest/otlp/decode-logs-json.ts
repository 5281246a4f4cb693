import { anyValueAt, decodeScope, elementAt, idAt, keyValuesAt, parseJson } from './decode-json.ts'
import {
  arrayAt,
  enumAt,
  field,
  isJsonObject,
  jsonError,
  objectAt,
  stringAt,
  uint64At,
  type JsonObject,
} from './json-fields.ts'
import type { LogRecord, LogsRequest, ResourceLogs, ScopeLogs } from './otlp-log-types.ts'
import { NO_KEY_VALUES, type InstrumentationScope } from './otlp-types.ts'

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']
/** `SeverityNumber` value names by number, for senders that use the protobuf JSON names. */
const SEVERITY_NAMES = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...LEVELS.flatMap((level) =>
    ['', '2', '3', '4'].map((suffix) => `SEVERITY_NUMBER_${level}${suffix}`),
  ),
]

const EMPTY_SCOPE: InstrumentationScope = Object.freeze({ name: '', version: '' })

/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest` (the body of `POST /v1/logs` with
 * `Content-Type: application/json`) by the same rules as `decodeTraceRequestJson`: camelCase
 * or proto field names, hex ids (non-hex passed through for the mapping to refuse that one
 * record), integer or named enums, int64 as strings or numbers, unknown fields ignored.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` naming the JSON path of a wrong value.
 */
export function decodeLogsRequestJson(body: string | Uint8Array): LogsRequest {
  const request = parseJson(body)
  if (!isJsonObject(request)) {
    throw jsonError('the body', '', 'must be a JSON object (an ExportLogsServiceRequest)')
  }
  const resourceLogs = arrayAt(field(request, 'resourceLogs', 'resource_logs'), '', 'resourceLogs')
  return {
    resourceLogs: resourceLogs.map((element, i) =>
      decodeResourceLogs(elementAt(element, 'resourceLogs', i), `resourceLogs[${i}]`),
    ),
  }
}

function decodeResourceLogs(object: JsonObject, path: string): ResourceLogs {
  const resource = objectAt(field(object, 'resource'), path, 'resource')
  const scopeLogs = arrayAt(field(object, 'scopeLogs', 'scope_logs'), path, 'scopeLogs')
  const scopeLogsPath = `${path}.scopeLogs`
  return {
    resource: {
      attributes:
        resource === undefined
          ? NO_KEY_VALUES
          : keyValuesAt(field(resource, 'attributes'), `${path}.resource`, 'attributes'),
    },
    scopeLogs: scopeLogs.map((element, i) =>
      decodeScopeLogs(elementAt(element, scopeLogsPath, i), `${scopeLogsPath}[${i}]`),
    ),
  }
}

function decodeScopeLogs(object: JsonObject, path: string): ScopeLogs {
  const scope = objectAt(field(object, 'scope'), path, 'scope')
  const records = arrayAt(field(object, 'logRecords', 'log_records'), path, 'logRecords')
  const recordsPath = `${path}.logRecords`
  return {
    scope: scope === undefined ? EMPTY_SCOPE : decodeScope(scope, `${path}.scope`),
    logRecords: records.map((element, i) =>
      decodeLogRecord(elementAt(element, recordsPath, i), `${recordsPath}[${i}]`),
    ),
  }
}

function decodeLogRecord(record: JsonObject, path: string): LogRecord {
  return {
    timeUnixNano: uint64At(field(record, 'timeUnixNano', 'time_unix_nano'), path, 'timeUnixNano'),
    observedTimeUnixNano: uint64At(
      field(record, 'observedTimeUnixNano', 'observed_time_unix_nano'),
      path,
      'observedTimeUnixNano',
    ),
    severityNumber: enumAt(
      field(record, 'severityNumber', 'severity_number'),
      path,
      'severityNumber',
      SEVERITY_NAMES,
    ),
    severityText: stringAt(field(record, 'severityText', 'severity_text'), path, 'severityText'),
    body: anyValueAt(field(record, 'body'), path, 'body'),
    attributes: keyValuesAt(field(record, 'attributes'), path, 'attributes'),
    traceId: idAt(field(record, 'traceId', 'trace_id'), path, 'traceId'),
    spanId: idAt(field(record, 'spanId', 'span_id'), path, 'spanId'),
    eventName: stringAt(field(record, 'eventName', 'event_name'), path, 'eventName'),
  }
}
