/**
 * A normalized, in-memory form of an OTLP `ExportTraceServiceRequest`
 * (opentelemetry-proto `collector/trace/v1/trace_service.proto`), produced alike by the
 * protobuf and the JSON decoder so that the mapping to rows has one input shape.
 *
 * Only what release-health reads is kept: links, trace state, span flags and dropped
 * counts are skipped while decoding.
 */

/**
 * An OTLP `AnyValue`. Each protobuf `oneof` case has its own JavaScript type, so a value
 * keeps its wire type: `int_value` is a `bigint` (int64 exceeds 2^53) and `double_value`
 * a `number`. `null` is an AnyValue with no case set, which OTLP allows.
 */
export type AnyValue =
  string | boolean | number | bigint | Uint8Array | readonly AnyValue[] | KeyValueList | null

/** The `kvlist_value` case of an AnyValue; a wrapper object tells it apart from an array. */
export interface KeyValueList {
  readonly kvlist: readonly KeyValue[]
}

export function isKeyValueList(value: AnyValue): value is KeyValueList {
  return typeof value === 'object' && value !== null && 'kvlist' in value
}

/** One attribute. Keys are not deduplicated here: the wire allows repeats, the mapping decides. */
export interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

export interface TraceRequest {
  readonly resourceSpans: readonly ResourceSpans[]
}

export interface ResourceSpans {
  readonly resource: Resource
  readonly scopeSpans: readonly ScopeSpans[]
}

export interface Resource {
  readonly attributes: readonly KeyValue[]
}

export interface ScopeSpans {
  readonly scope: InstrumentationScope
  readonly spans: readonly Span[]
}

export interface InstrumentationScope {
  readonly name: string
  readonly version: string
}

export interface Span {
  /**
   * Lower-case hex of the id bytes. The protobuf decoder always produces hex here; the JSON
   * decoder passes a string that is not hex through unchanged so that the mapping can reject
   * that one span with a message (see `decode-json.ts`). Length is validated by the mapping.
   */
  readonly traceId: string
  readonly spanId: string
  /** Empty for a root span. */
  readonly parentSpanId: string
  readonly name: string
  /** The `SpanKind` enum value: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly startTimeUnixNano: bigint
  readonly endTimeUnixNano: bigint
  readonly attributes: readonly KeyValue[]
  readonly events: readonly SpanEvent[]
  readonly status: SpanStatus
}

export interface SpanEvent {
  readonly timeUnixNano: bigint
  readonly name: string
  readonly attributes: readonly KeyValue[]
}

export interface SpanStatus {
  /** The `StatusCode` enum value: 0 unset, 1 ok, 2 error. */
  readonly code: number
  readonly message: string
}

/** `SpanKind` values from trace.proto, named for readability at the use sites. */
export const SPAN_KIND = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
} as const

/** `Status.StatusCode` values from trace.proto. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const

/**
 * Arrays and kvlists may nest; a limit keeps a hostile payload from exhausting the stack
 * (protobuf's own parsers stop at 100 levels; attributes nested this deep are not real).
 */
export const MAX_ANY_VALUE_DEPTH = 32

/** Shared empty lists, so that messages without attributes or events allocate nothing. */
export const NO_KEY_VALUES: readonly KeyValue[] = Object.freeze([])
export const NO_EVENTS: readonly SpanEvent[] = Object.freeze([])
export const EMPTY_STATUS: SpanStatus = Object.freeze({ code: 0, message: '' })
