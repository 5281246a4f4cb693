import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import type { Store } from '../../src/store/store-client.ts'
import { buildReadableSpans, type PayloadSpanSpec } from './otel-payloads.ts'

/**
 * The traces table of the OpenTelemetry Collector's ClickHouse exporter, written here from the
 * column list its documentation gives (names, types, order key and partitioning), so that tests
 * read the schema users have, without the exporter.
 */
export function otelTracesDdl(table: string): string {
  return `CREATE TABLE ${table} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
      Timestamp DateTime64(9),
      Name LowCardinality(String),
      Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
      TraceId String,
      SpanId String,
      TraceState String,
      Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
  ) ENGINE = MergeTree
  PARTITION BY toDate(Timestamp)
  ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
  SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`
}

/**
 * Span kinds and status codes as the exporter writes them. Older exporter versions wrote the
 * proto enum names (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`), newer ones the short names
 * (`Server`, `Error`); `style` picks which.
 */
const KIND_NAMES: Record<SpanKind, [string, string]> = {
  [SpanKind.INTERNAL]: ['SPAN_KIND_INTERNAL', 'Internal'],
  [SpanKind.SERVER]: ['SPAN_KIND_SERVER', 'Server'],
  [SpanKind.CLIENT]: ['SPAN_KIND_CLIENT', 'Client'],
  [SpanKind.PRODUCER]: ['SPAN_KIND_PRODUCER', 'Producer'],
  [SpanKind.CONSUMER]: ['SPAN_KIND_CONSUMER', 'Consumer'],
}
const STATUS_NAMES: Record<SpanStatusCode, [string, string]> = {
  [SpanStatusCode.UNSET]: ['STATUS_CODE_UNSET', 'Unset'],
  [SpanStatusCode.OK]: ['STATUS_CODE_OK', 'Ok'],
  [SpanStatusCode.ERROR]: ['STATUS_CODE_ERROR', 'Error'],
}

/** A row of the exporter's table for each span, as the exporter writes it (JSONEachRow). */
export function toOtelTracesRows(
  spans: readonly ReadableSpan[],
  style: 'enum' | 'short',
): Record<string, unknown>[] {
  const pick = style === 'enum' ? 0 : 1
  return spans.map((span) => {
    const resource = toStrings(span.resource.attributes)
    const events = span.events
    return {
      Timestamp: toEpochText(span.startTime),
      TraceId: span.spanContext().traceId,
      SpanId: span.spanContext().spanId,
      ParentSpanId: span.parentSpanContext?.spanId ?? '',
      TraceState: '',
      SpanName: span.name,
      SpanKind: KIND_NAMES[span.kind][pick],
      ServiceName: resource['service.name'] ?? '',
      ResourceAttributes: resource,
      ScopeName: span.instrumentationScope.name,
      ScopeVersion: span.instrumentationScope.version ?? '',
      SpanAttributes: toStrings(span.attributes),
      Duration: String(toNs(span.endTime) - toNs(span.startTime)),
      StatusCode: STATUS_NAMES[span.status.code][pick],
      StatusMessage: span.status.message ?? '',
      'Events.Timestamp': events.map((event) => toEpochText(event.time)),
      'Events.Name': events.map((event) => event.name),
      'Events.Attributes': events.map((event) => toStrings(event.attributes ?? {})),
      'Links.TraceId': [],
      'Links.SpanId': [],
      'Links.TraceState': [],
      'Links.Attributes': [],
    }
  })
}

/** Inserts exporter rows as the exporter would: the table's own columns, nothing else. */
export async function insertOtelTraces(
  store: Store,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  await store.client.insert({ table, values: rows, format: 'JSONEachRow' })
}

/** Attribute values as text, as the exporter stores them (`pcommon.Value.AsString`). */
function toStrings(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue
    out[key] = Array.isArray(value) ? JSON.stringify(value) : String(value)
  }
  return out
}

function toNs(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])
}

/** `seconds.nanoseconds` since the epoch: DateTime64(9) text input, whatever the time zone. */
function toEpochText(time: HrTime): string {
  return `${time[0]}.${String(time[1]).padStart(9, '0')}`
}

/** One cohort's requests, spread evenly over a window: server spans with an HTTP status. */
export interface OtelCohort {
  readonly service: string
  readonly release: string
  readonly flags?: Record<string, string>
  /** Every failEvery-th request fails with a 500. */
  readonly failEvery: number
  readonly extraLatencyMs: number
  readonly requests: number
  readonly fromMs: number
  readonly toMs: number
}

/**
 * The exporter's rows of a cohort's requests (a server span each, with an internal child that
 * no verdict counts), as the exporter would have written them.
 */
export function toOtelCohortRows(
  cohort: OtelCohort,
  style: 'enum' | 'short',
): Record<string, unknown>[] {
  const requests: PayloadSpanSpec[] = Array.from({ length: cohort.requests }, (_, index) => {
    const startMs = cohort.fromMs + ((cohort.toMs - cohort.fromMs) * index) / cohort.requests
    const failed = index % cohort.failEvery === 0
    return {
      name: 'GET /items',
      kind: 'server',
      startTimeUnixNano: BigInt(Math.floor(startMs)) * 1_000_000n + BigInt(index % 997),
      durationNs: BigInt(Math.round((20 + (index % 41) + cohort.extraLatencyMs) * 1_000_000)),
      attributes: { 'http.route': '/items', 'http.response.status_code': failed ? 500 : 200 },
      ...(cohort.flags === undefined ? {} : { flags: cohort.flags }),
    }
  })
  const children: PayloadSpanSpec[] = requests.map((request, index) => ({
    name: 'SELECT items',
    kind: 'internal',
    parentIndex: index,
    durationNs: 1_000_000n,
    startTimeUnixNano: request.startTimeUnixNano!,
  }))
  const spans = buildReadableSpans({
    service: cohort.service,
    release: cohort.release,
    environment: 'production',
    spans: [...requests, ...children],
  })
  return toOtelTracesRows(spans, style)
}
