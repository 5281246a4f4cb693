import type { Config } from '../config/defaults.ts'
import {
  SPAN_KIND,
  type Resource,
  type Span,
  type TraceRequest,
} from '../ingest/otlp/otlp-types.ts'
import { keyValuesToRecord } from './any-value-to-string.ts'
import { getEntry, type StringRecord } from './string-record.ts'
import { toFlags } from './span-flags.ts'
import { SPAN_KIND_NAMES, type SpanKindName, type SpanRow } from './span-row.ts'

/**
 * How OTel attributes become release-health dimensions: the `mapping` section of the config
 * plus the attribute limit of `otlp`. The defaults follow the semantic conventions.
 */
export interface MappingOptions {
  /** Resource attribute (then span attribute) holding the release; `service.version`. */
  readonly releaseAttribute: string
  /** Attributes holding the environment, first present wins, resource before span. */
  readonly environmentAttributes: readonly string[]
  /** Span attributes `<prefix><flag key>` = variant are read as flags; '' = off. */
  readonly flagAttributePrefix: string
  /** Spans (and resources) with more attributes than this are rejected. */
  readonly maxAttributesPerSpan: number
}

export interface SpanRowsResult {
  readonly rows: SpanRow[]
  /** Spans left out because they were invalid; the receiver reports them as partial success. */
  readonly rejected: number
  /** Why the first rejected span was rejected, naming it and where it was in the request. */
  readonly rejectionMessage: string | undefined
  /** Every rejected span, in request order (Kafka dead-letters each one). */
  readonly rejections: readonly SpanRejection[]
}

/** One rejected span: where it was in the request and why it was rejected. */
export interface SpanRejection {
  /** Its position among all the request's spans, counting from 0 in request order. */
  readonly index: number
  readonly resourceIndex: number
  readonly scopeIndex: number
  readonly spanIndex: number
  /** The reason, naming the span and its path, like `rejectionMessage`. */
  readonly message: string
}

/** Picks the mapping options out of the resolved configuration. */
export function toMappingOptions(config: Pick<Config, 'mapping' | 'otlp'>): MappingOptions {
  return { ...config.mapping, maxAttributesPerSpan: config.otlp.maxAttributesPerSpan }
}

/** The `service.name` fallback, as the semantic conventions define when it is missing. */
export const UNKNOWN_SERVICE = 'unknown_service'

/** Indexed by the `Status.StatusCode` value; unknown codes read as unset. */
const STATUS_NAMES = ['unset', 'ok', 'error'] as const
const HTTP_STATUS = /^[1-9]\d{2}$/
const TRACE_ID_BYTES = 16
const SPAN_ID_BYTES = 8
const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2)
const MAX_QUOTED_LENGTH = 64

/** What is shared by every span of one resource, computed once. */
interface ResourceContext {
  readonly attributes: Readonly<StringRecord>
  readonly service: string
  readonly release: string | undefined
  readonly environment: string | undefined
  /** Set when the resource itself is invalid, which rejects all its spans. */
  readonly problem: string | undefined
}

/**
 * Maps decoded OTLP spans to `spans` table rows, tagging each with service, release,
 * environment and feature flags (see `MappingOptions` and `span-flags.ts` for the rules).
 *
 * Invalid spans are rejected one by one and counted, never thrown: ids of the wrong length
 * (trace id 16 bytes, span id 8, parent span id 0 or 8; OTLP calls all-zero ids invalid too)
 * or more attributes than `maxAttributesPerSpan`. The rest are kept, so that the receiver can
 * answer 200 with OTLP `partial_success`.
 */
export function toSpanRows(request: TraceRequest, mapping: MappingOptions): SpanRowsResult {
  const rows: SpanRow[] = []
  const rejections: SpanRejection[] = []
  let index = 0
  request.resourceSpans.forEach((resourceSpans, r) => {
    const resource = toResourceContext(resourceSpans.resource, mapping)
    resourceSpans.scopeSpans.forEach((scopeSpans, s) => {
      scopeSpans.spans.forEach((span, i) => {
        const problem = resource.problem ?? spanProblem(span, mapping)
        if (problem === undefined) {
          rows.push(toSpanRow(span, resource, mapping))
        } else {
          const where = `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`
          rejections.push({
            index,
            resourceIndex: r,
            scopeIndex: s,
            spanIndex: i,
            message: `span ${quote(span.name)} (${where}): ${problem}`,
          })
        }
        index++
      })
    })
  })
  return {
    rows,
    rejected: rejections.length,
    rejectionMessage: rejections[0]?.message,
    rejections,
  }
}

function toResourceContext(resource: Resource, mapping: MappingOptions): ResourceContext {
  const attributes = keyValuesToRecord(resource.attributes)
  const count = resource.attributes.length
  return {
    attributes,
    service: nonEmpty(getEntry(attributes, 'service.name')) ?? UNKNOWN_SERVICE,
    release: nonEmpty(getEntry(attributes, mapping.releaseAttribute)),
    environment: firstPresent(attributes, mapping.environmentAttributes),
    problem:
      count > mapping.maxAttributesPerSpan
        ? `its resource has ${count} attributes, more than the limit of ${mapping.maxAttributesPerSpan}`
        : undefined,
  }
}

function spanProblem(span: Span, mapping: MappingOptions): string | undefined {
  const count = span.attributes.length
  if (count > mapping.maxAttributesPerSpan) {
    return `${count} attributes, more than the limit of ${mapping.maxAttributesPerSpan}`
  }
  return (
    idProblem('traceId', span.traceId, TRACE_ID_BYTES) ??
    idProblem('spanId', span.spanId, SPAN_ID_BYTES) ??
    parentIdProblem(span.parentSpanId)
  )
}

/** A root span has no parent id; some senders write an all-zero id instead, read alike. */
function parentIdProblem(id: string): string | undefined {
  if (id === '' || id === ZERO_SPAN_ID) return undefined
  return idProblem('parentSpanId', id, SPAN_ID_BYTES, `0 or ${SPAN_ID_BYTES}`)
}

/** Ids arrive as hex: from protobuf bytes always, from JSON as the sender wrote them. */
function idProblem(
  name: string,
  id: string,
  bytes: number,
  expected = String(bytes),
): string | undefined {
  const digits = classifyHex(id)
  if (id.length === bytes * 2 && digits !== 'not hex') {
    return digits === 'zeroes'
      ? `${name} must not be all zeroes (an invalid id in OTLP)`
      : undefined
  }
  if (id.length % 2 !== 0 || digits === 'not hex') {
    return `${name} must be ${expected} bytes as hex (OTLP/JSON ids are hex, not base64), got ${quote(id)}`
  }
  return `${name} must be ${expected} bytes, got ${id.length / 2}`
}

function toSpanRow(span: Span, resource: ResourceContext, mapping: MappingOptions): SpanRow {
  const attributes = keyValuesToRecord(span.attributes)
  const kind = toKindName(span.kind)
  const statusCode = STATUS_NAMES[span.status.code] ?? 'unset'
  const httpStatusCode = toHttpStatusCode(
    getEntry(attributes, 'http.response.status_code') ?? getEntry(attributes, 'http.status_code'),
  )
  const duration = span.endTimeUnixNano - span.startTimeUnixNano
  return {
    timestamp: span.startTimeUnixNano.toString(),
    service: resource.service,
    environment:
      resource.environment ?? firstPresent(attributes, mapping.environmentAttributes) ?? '',
    release: resource.release ?? nonEmpty(getEntry(attributes, mapping.releaseAttribute)) ?? '',
    flags: toFlags(span, attributes, mapping.flagAttributePrefix),
    name: span.name,
    kind,
    status_code: statusCode,
    status_message: span.status.message,
    http_status_code: httpStatusCode,
    http_route: getEntry(attributes, 'http.route') ?? '',
    is_error: statusCode === 'error' || (kind === 'server' && httpStatusCode >= 500) ? 1 : 0,
    is_entry: isEntry(span) ? 1 : 0,
    duration_ns: duration > 0n ? duration.toString() : '0',
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId === ZERO_SPAN_ID ? '' : span.parentSpanId,
    resource_attributes: resource.attributes,
    span_attributes: attributes,
  }
}

/** Request entry points: server and consumer spans, and roots (no parent, or an all-zero one). */
function isEntry(span: Span): boolean {
  const { kind, parentSpanId } = span
  return (
    kind === SPAN_KIND.server ||
    kind === SPAN_KIND.consumer ||
    parentSpanId === '' ||
    parentSpanId === ZERO_SPAN_ID
  )
}

function toKindName(kind: number): SpanKindName {
  return SPAN_KIND_NAMES[kind] ?? 'unspecified'
}

/** HTTP status from an int, double or string attribute; 0 when absent or not a status code. */
function toHttpStatusCode(value: string | undefined): number {
  return value !== undefined && HTTP_STATUS.test(value) ? Number(value) : 0
}

function firstPresent(
  attributes: Readonly<StringRecord>,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = nonEmpty(getEntry(attributes, name))
    if (value !== undefined) return value
  }
  return undefined
}

/** An attribute counts as present when it has a non-empty value. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

/** A sender's text, JSON-quoted and cut short so that a huge value cannot bloat the message. */
function quote(text: string): string {
  return JSON.stringify(
    text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}...` : text,
  )
}

/** One pass over an id (this runs three times per span): lower-case hex, and all zeroes? */
function classifyHex(id: string): 'hex' | 'zeroes' | 'not hex' {
  let zeroes = true
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i)
    if (code === 0x30) continue
    zeroes = false
    // 0-9 or a-f
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return 'not hex'
  }
  return zeroes ? 'zeroes' : 'hex'
}
