import type { KeyValue, Span, TraceRequest } from '../ingest/otlp/otlp-types.ts'
import { anyValueToString, findAttribute } from './any-value-to-string.ts'
import type { MappedSpan, SpanSink } from './span-sink.ts'
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
  MAX_START_NS,
  notHexIdProblem,
  rejectionMessage as toRejectionMessage,
  resourceAttributeCountProblem,
  SPAN_ID_BYTES,
  startTooLateProblem,
  toHttpStatusCode,
  toKindName,
  toStatusName,
  TRACE_ID_BYTES,
  UNKNOWN_SERVICE,
  zeroIdProblem,
} from './span-rules.ts'

export { UNKNOWN_SERVICE } from './span-rules.ts'

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

export interface MapSpansOptions {
  /**
   * Spans that start before this (nanoseconds since the epoch) are refused as expired: the
   * store's TTL would drop them as it writes them, so a 200 would lose them silently.
   */
  readonly retentionCutoffNs?: bigint
  /** Days of retention, for the message that explains an expired span. */
  readonly retentionDays?: number
}

/** What the mapping did with one request's spans. */
export interface MapSpansResult {
  readonly accepted: number
  /** Spans refused, expired ones included; the receiver reports them as partial success. */
  readonly rejected: number
  /** Why the first refused span was refused, naming it and where it was in the request. */
  readonly rejectionMessage: string | undefined
  /** Every refused span, in request order (Kafka dead-letters each one). */
  readonly rejections: readonly SpanRejection[]
}

/** One refused span: where it was in the request and why it was refused. */
export interface SpanRejection {
  /** Its position among all the request's spans, counting from 0 in request order. */
  readonly index: number
  readonly resourceIndex: number
  readonly scopeIndex: number
  readonly spanIndex: number
  /** The reason, naming the span and its path, like `rejectionMessage`. */
  readonly message: string
}

const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2)
/** Up to this many attributes, repeated keys are found by scanning; past it, with a Map. */
const SCAN_LIMIT = 16

/**
 * Maps decoded OTLP spans to `spans` rows, handing each accepted span to `sink`:
 * - service = resource `service.name` (else `unknown_service`); release = the resource's
 *   `mapping.releaseAttribute`, else the span's; environment likewise from the first present
 *   of `mapping.environmentAttributes`;
 * - flags from `feature_flag.evaluation` span events (legacy name `feature_flag`) with
 *   `feature_flag.key` and `feature_flag.result.variant` (legacy `feature_flag.variant`, else
 *   the evaluated `feature_flag.result.value`, else ''), and with a non-empty
 *   `flagAttributePrefix` from span attributes `<prefix><key>`; events win; a flag evaluated
 *   twice keeps its last variant;
 * - is_error = status error, or HTTP 5xx on a server span; is_entry = server and consumer
 *   spans, and roots.
 *
 * Invalid spans are refused one by one and counted, never thrown, so that the receiver can
 * answer 200 with OTLP `partial_success`: ids of the wrong length (trace id 16 bytes, span id
 * 8, parent 0 or 8; all-zero ids are invalid in OTLP), more attributes than
 * `maxAttributesPerSpan`, a start at or past 2^63 ns (beyond what ClickHouse's DateTime64(9)
 * holds), an end before the start, and a start older than the retention.
 */
export function mapSpans(
  request: TraceRequest,
  mapping: MappingOptions,
  sink: SpanSink,
  options: MapSpansOptions = {},
): MapSpansResult {
  const span = createScratchSpan()
  const resource: { keys: string[]; values: string[] } = { keys: [], values: [] }
  let accepted = 0
  let expired = 0
  let index = 0
  let rejectionMessage: string | undefined
  const rejections: SpanRejection[] = []
  request.resourceSpans.forEach((resourceSpans, r) => {
    const context = toResourceContext(resourceSpans.resource.attributes, mapping, resource)
    let begun = false
    resourceSpans.scopeSpans.forEach((scopeSpans, s) => {
      scopeSpans.spans.forEach((source, i) => {
        const problem =
          context.problem ?? spanProblem(source, mapping) ?? timeProblem(source, options)
        const at = index++
        if (problem === undefined) {
          if (!begun) {
            sink.beginResource(resource)
            begun = true
          }
          fillSpan(span, source, context, mapping)
          sink.append(span)
          accepted++
          return
        }
        const message = toRejectionMessage(
          source.name,
          r,
          s,
          i,
          problem === EXPIRED ? expiredProblem(options.retentionDays) : problem,
        )
        rejections.push({ index: at, resourceIndex: r, scopeIndex: s, spanIndex: i, message })
        if (problem === EXPIRED) expired++
        else rejectionMessage ??= message
      })
    })
  })
  if (rejectionMessage === undefined && expired > 0) {
    rejectionMessage = expiredMessage(expired, options.retentionDays)
  }
  return { accepted, rejected: rejections.length, rejectionMessage, rejections }
}

/**
 * What is shared by every span of one resource, computed once: its attributes (each key
 * once, into `into`), service, release and environment, and whether it is valid at all.
 */
export function toResourceContext(
  attributes: readonly KeyValue[],
  mapping: MappingOptions,
  into: { keys: string[]; values: string[] },
): ResourceContext {
  collectUniqueAttributes(attributes, into.keys, into.values)
  return {
    service: nonEmpty(valueOf(into, 'service.name')) ?? UNKNOWN_SERVICE,
    release: nonEmpty(valueOf(into, mapping.releaseAttribute)),
    environment: firstPresent(into, mapping.environmentAttributes),
    problem: resourceAttributeCountProblem(attributes.length, mapping.maxAttributesPerSpan),
  }
}

export interface ResourceContext {
  readonly service: string
  readonly release: string | undefined
  readonly environment: string | undefined
  /** Set when the resource itself is invalid, which rejects all its spans. */
  readonly problem: string | undefined
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] }
type ScratchSpan = Mutable<MappedSpan>

/** One span object reused for every span of a request: the sink copies what it keeps. */
function createScratchSpan(): ScratchSpan {
  return {
    startTimeUnixNano: 0n,
    durationNs: 0n,
    service: '',
    environment: '',
    release: '',
    flagKeys: [],
    flagVariants: [],
    name: '',
    kind: 'unspecified',
    statusCode: 'unset',
    statusMessage: '',
    httpStatusCode: 0,
    httpRoute: '',
    isError: 0,
    isEntry: 0,
    traceId: '',
    spanId: '',
    parentSpanId: '',
    attributeKeys: [],
    attributeValues: [],
  }
}

function fillSpan(
  span: ScratchSpan,
  source: Span,
  resource: ResourceContext,
  mapping: MappingOptions,
): void {
  const attributes = { keys: span.attributeKeys, values: span.attributeValues }
  collectAttributes(source.attributes, attributes.keys, attributes.values)
  const kind = toKindName(source.kind)
  const statusCode = toStatusName(source.status.code)
  const httpStatusCode = toHttpStatusCode(
    valueOf(attributes, HTTP_STATUS_ATTRIBUTE) ?? valueOf(attributes, LEGACY_HTTP_STATUS_ATTRIBUTE),
  )
  span.startTimeUnixNano = source.startTimeUnixNano
  span.durationNs = source.endTimeUnixNano - source.startTimeUnixNano
  span.service = resource.service
  span.environment =
    resource.environment ?? firstPresent(attributes, mapping.environmentAttributes) ?? ''
  span.release = resource.release ?? nonEmpty(valueOf(attributes, mapping.releaseAttribute)) ?? ''
  collectFlags(source, attributes, mapping.flagAttributePrefix, span.flagKeys, span.flagVariants)
  span.name = source.name
  span.kind = kind
  span.statusCode = statusCode
  span.statusMessage = source.status.message
  span.httpStatusCode = httpStatusCode
  span.httpRoute = valueOf(attributes, HTTP_ROUTE_ATTRIBUTE) ?? ''
  span.isError = isErrorSpan(statusCode, kind, httpStatusCode)
  span.isEntry = isEntrySpan(
    kind,
    source.parentSpanId !== '' && source.parentSpanId !== ZERO_SPAN_ID,
  )
  span.traceId = source.traceId
  span.spanId = source.spanId
  span.parentSpanId = source.parentSpanId === ZERO_SPAN_ID ? '' : source.parentSpanId
}

/**
 * The attributes as a string map in two parallel lists, in wire order. A key may repeat (OTLP
 * allows it; the last value wins): lookups here read the last one, and the sinks store each
 * key once (`StringMapColumn.row`, `setEntry`), which is cheaper than deduplicating per span.
 */
function collectAttributes(keyValues: readonly KeyValue[], keys: string[], values: string[]): void {
  keys.length = 0
  values.length = 0
  for (const { key, value } of keyValues) {
    keys.push(key)
    values.push(typeof value === 'string' ? value : anyValueToString(value))
  }
}

/** {@link collectAttributes} with each key once, at its first position, with its last value. */
function collectUniqueAttributes(
  keyValues: readonly KeyValue[],
  keys: string[],
  values: string[],
): void {
  keys.length = 0
  values.length = 0
  const positions = keyValues.length > SCAN_LIMIT ? new Map<string, number>() : undefined
  for (const { key, value } of keyValues) {
    const text = anyValueToString(value)
    const at = positions === undefined ? keys.indexOf(key) : (positions.get(key) ?? -1)
    if (at >= 0) {
      values[at] = text
    } else {
      positions?.set(key, keys.length)
      keys.push(key)
      values.push(text)
    }
  }
}

function collectFlags(
  source: Span,
  attributes: { readonly keys: readonly string[]; readonly values: readonly string[] },
  attributePrefix: string,
  keys: string[],
  variants: string[],
): void {
  keys.length = 0
  variants.length = 0
  const set = (key: string, variant: string): void => {
    const at = keys.indexOf(key)
    if (at >= 0) variants[at] = variant
    else {
      keys.push(key)
      variants.push(variant)
    }
  }
  if (attributePrefix !== '') {
    attributes.keys.forEach((name, i) => {
      if (name.length > attributePrefix.length && name.startsWith(attributePrefix)) {
        set(name.slice(attributePrefix.length), attributes.values[i]!)
      }
    })
  }
  for (const event of source.events) {
    if (!FLAG_EVENT_NAMES.includes(event.name)) continue
    const key = findAttribute(event.attributes, FLAG_KEY_ATTRIBUTE)
    if (key === undefined || key === '') continue
    set(key, toVariant(event.attributes))
  }
}

function toVariant(attributes: readonly KeyValue[]): string {
  for (const name of FLAG_VARIANT_ATTRIBUTES) {
    const variant = findAttribute(attributes, name)
    if (variant !== undefined) return variant
  }
  return ''
}

/** Marks a span refused only for its age: counted, and explained once for all of them. */
const EXPIRED = 'expired'

function timeProblem(span: Span, options: MapSpansOptions): string | undefined {
  const start = span.startTimeUnixNano
  if (start >= MAX_START_NS) return startTooLateProblem(start)
  if (span.endTimeUnixNano < start) return endBeforeStartProblem(span.endTimeUnixNano, start)
  if (options.retentionCutoffNs !== undefined && start < options.retentionCutoffNs) return EXPIRED
  return undefined
}

function spanProblem(span: Span, mapping: MappingOptions): string | undefined {
  return (
    attributeCountProblem(span.attributes.length, mapping.maxAttributesPerSpan) ??
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
    return digits === 'zeroes' ? zeroIdProblem(name) : undefined
  }
  if (id.length % 2 !== 0 || digits === 'not hex') return notHexIdProblem(name, expected, id)
  return idLengthProblem(name, expected, id.length / 2)
}

interface StringMap {
  readonly keys: readonly string[]
  readonly values: readonly string[]
}

/** The last value of `key`: a repeated attribute keeps its last value. */
function valueOf(map: StringMap, key: string): string | undefined {
  const at = map.keys.lastIndexOf(key)
  return at < 0 ? undefined : map.values[at]
}

function firstPresent(map: StringMap, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = nonEmpty(valueOf(map, name))
    if (value !== undefined) return value
  }
  return undefined
}

/** An attribute counts as present when it has a non-empty value. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
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
