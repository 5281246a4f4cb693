import type { KeyValue } from '../ingest/otlp/otlp-types.ts'
import type { LogRecord, LogsRequest } from '../ingest/otlp/otlp-log-types.ts'
import { anyValueToString, findAttribute } from './any-value-to-string.ts'
import {
  EVENT_NAME_ATTRIBUTE,
  expiredLogProblem,
  expiredLogsMessage,
  LOG_SPAN_ID_BYTES,
  LOG_TRACE_ID_BYTES,
  logIdProblem,
  logNotHexIdProblem,
  logRejectionMessage,
  logTimeProblem,
  toLogTimestamp,
  toObservedTimestamp,
  toSeverityNumber,
} from './log-rules.ts'
import { toResourceContext, type MappingOptions, type ResourceContext } from './map-spans.ts'
import type { MappedResource } from './span-sink.ts'
import {
  attributeCountProblem,
  FLAG_EVENT_NAMES,
  FLAG_KEY_ATTRIBUTE,
  FLAG_VARIANT_ATTRIBUTES,
} from './span-rules.ts'

export interface MapLogsOptions {
  /** Records that happened before this (ns since the epoch) are refused as expired. */
  readonly retentionCutoffNs?: bigint
  readonly retentionDays?: number
  /** When the request arrived (ns): the time of a record that carries none. */
  readonly receivedAtNs?: bigint
}

/** One refused log record: where it was in the request and why. */
export interface LogRejection {
  /** Its position among all the request's records, from 0 in request order. */
  readonly index: number
  readonly resourceIndex: number
  readonly scopeIndex: number
  readonly recordIndex: number
  readonly message: string
}

export interface MapLogsResult {
  readonly accepted: number
  readonly rejected: number
  readonly rejectionMessage: string | undefined
  readonly rejections: readonly LogRejection[]
}

/** One log record with the fields of a `logs` row. */
export interface MappedLog {
  readonly timestampNs: bigint
  readonly observedTimestampNs: bigint
  readonly service: string
  readonly environment: string
  readonly release: string
  readonly severityNumber: number
  readonly severityText: string
  readonly body: string
  /** Lower-case hex, '' when the record names no trace or span. */
  readonly traceId: string
  readonly spanId: string
  readonly eventName: string
  /** Set when the record is a flag evaluation event with a key; '' otherwise. */
  readonly flagKey: string
  readonly flagVariant: string
  readonly scopeName: string
  /** Record attributes in wire order; a repeated key keeps its last value (the sink decides). */
  readonly attributeKeys: readonly string[]
  readonly attributeValues: readonly string[]
}

/** Where mapped log records go; arguments are reused between calls (see `SpanSink`). */
export interface LogSink {
  beginResource(resource: MappedResource): void
  append(log: MappedLog): void
}

const EXPIRED = 'expired'

/**
 * Maps decoded OTLP log records to `logs` rows, handing each accepted one to `sink` (rules:
 * `log-rules.ts`). Invalid records are refused one by one and counted, never thrown, for
 * OTLP `partial_success`: more attributes than `maxAttributesPerSpan`, trace or span ids of
 * the wrong length, a time at or past 2^63 ns, a time older than the retention.
 */
export function mapLogs(
  request: LogsRequest,
  mapping: MappingOptions,
  sink: LogSink,
  options: MapLogsOptions = {},
): MapLogsResult {
  const resource = { keys: [] as string[], values: [] as string[] }
  const log = createScratchLog()
  let accepted = 0
  let expired = 0
  let index = 0
  let rejectionMessage: string | undefined
  const rejections: LogRejection[] = []
  request.resourceLogs.forEach((resourceLogs, r) => {
    const context = toResourceContext(resourceLogs.resource.attributes, mapping, resource)
    let begun = false
    resourceLogs.scopeLogs.forEach((scopeLogs, s) => {
      scopeLogs.logRecords.forEach((record, i) => {
        const at = index++
        const timestampNs = toLogTimestamp(
          record.timeUnixNano,
          record.observedTimeUnixNano,
          options.receivedAtNs ?? 0n,
        )
        const problem =
          context.problem ?? recordProblem(record, mapping) ?? timeProblem(timestampNs, options)
        if (problem === undefined) {
          if (!begun) {
            sink.beginResource(resource)
            begun = true
          }
          fillLog(log, record, timestampNs, scopeLogs.scope.name, context, mapping, options)
          sink.append(log)
          accepted++
          return
        }
        const message = logRejectionMessage(
          r,
          s,
          i,
          problem === EXPIRED ? expiredLogProblem(options.retentionDays) : problem,
        )
        rejections.push({ index: at, resourceIndex: r, scopeIndex: s, recordIndex: i, message })
        if (problem === EXPIRED) expired++
        else rejectionMessage ??= message
      })
    })
  })
  if (rejectionMessage === undefined && expired > 0) {
    rejectionMessage = expiredLogsMessage(expired, options.retentionDays)
  }
  return { accepted, rejected: rejections.length, rejectionMessage, rejections }
}

type ScratchLog = { -readonly [K in keyof MappedLog]: MappedLog[K] } & {
  attributeKeys: string[]
  attributeValues: string[]
}

function createScratchLog(): ScratchLog {
  return {
    timestampNs: 0n,
    observedTimestampNs: 0n,
    service: '',
    environment: '',
    release: '',
    severityNumber: 0,
    severityText: '',
    body: '',
    traceId: '',
    spanId: '',
    eventName: '',
    flagKey: '',
    flagVariant: '',
    scopeName: '',
    attributeKeys: [],
    attributeValues: [],
  }
}

function fillLog(
  log: ScratchLog,
  record: LogRecord,
  timestampNs: bigint,
  scopeName: string,
  resource: ResourceContext,
  mapping: MappingOptions,
  options: MapLogsOptions,
): void {
  const keys = log.attributeKeys
  const values = log.attributeValues
  keys.length = 0
  values.length = 0
  for (const { key, value } of record.attributes) {
    keys.push(key)
    values.push(anyValueToString(value))
  }
  log.timestampNs = timestampNs
  log.observedTimestampNs = toObservedTimestamp(
    record.observedTimeUnixNano,
    options.receivedAtNs ?? 0n,
  )
  log.service = resource.service
  log.environment =
    resource.environment ?? firstPresent(keys, values, mapping.environmentAttributes) ?? ''
  log.release =
    resource.release ?? nonEmpty(lastValue(keys, values, mapping.releaseAttribute)) ?? ''
  log.severityNumber = toSeverityNumber(record.severityNumber)
  log.severityText = record.severityText
  log.body = anyValueToString(record.body)
  log.traceId = isZeroHex(record.traceId) ? '' : record.traceId
  log.spanId = isZeroHex(record.spanId) ? '' : record.spanId
  log.eventName =
    record.eventName !== ''
      ? record.eventName
      : (findAttribute(record.attributes, EVENT_NAME_ATTRIBUTE) ?? '')
  log.flagKey = ''
  log.flagVariant = ''
  if (FLAG_EVENT_NAMES.includes(log.eventName)) {
    const key = findAttribute(record.attributes, FLAG_KEY_ATTRIBUTE)
    if (key !== undefined && key !== '') {
      log.flagKey = key
      log.flagVariant = toVariant(record.attributes)
    }
  }
  log.scopeName = scopeName
}

function toVariant(attributes: readonly KeyValue[]): string {
  for (const name of FLAG_VARIANT_ATTRIBUTES) {
    const variant = findAttribute(attributes, name)
    if (variant !== undefined) return variant
  }
  return ''
}

function recordProblem(record: LogRecord, mapping: MappingOptions): string | undefined {
  return (
    attributeCountProblem(record.attributes.length, mapping.maxAttributesPerSpan) ??
    hexIdProblem('traceId', record.traceId, LOG_TRACE_ID_BYTES) ??
    hexIdProblem('spanId', record.spanId, LOG_SPAN_ID_BYTES)
  )
}

function timeProblem(timestampNs: bigint, options: MapLogsOptions): string | undefined {
  const tooLate = logTimeProblem(timestampNs)
  if (tooLate !== undefined) return tooLate
  if (options.retentionCutoffNs !== undefined && timestampNs < options.retentionCutoffNs) {
    return EXPIRED
  }
  return undefined
}

const LOWER_HEX = /^[0-9a-f]*$/

/** Ids arrive as hex: from protobuf bytes always, from JSON as the sender wrote them. */
function hexIdProblem(name: string, id: string, bytes: number): string | undefined {
  if (!LOWER_HEX.test(id)) return logNotHexIdProblem(name, bytes, id)
  if (id.length % 2 !== 0) return logNotHexIdProblem(name, bytes, id)
  return logIdProblem(name, id.length / 2, bytes)
}

function isZeroHex(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 0x30) return false
  return true
}

function lastValue(keys: readonly string[], values: readonly string[], key: string) {
  const at = keys.lastIndexOf(key)
  return at < 0 ? undefined : values[at]
}

function firstPresent(
  keys: readonly string[],
  values: readonly string[],
  names: readonly string[],
) {
  for (const name of names) {
    const value = nonEmpty(lastValue(keys, values, name))
    if (value !== undefined) return value
  }
  return undefined
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}
