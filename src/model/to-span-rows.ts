import type { Config } from '../config/defaults.ts'
import type { TraceRequest } from '../ingest/otlp/otlp-types.ts'
import {
  mapSpans,
  type MappingOptions,
  type MapSpansOptions,
  type MapSpansResult,
} from './map-spans.ts'
import type { MappedResource, MappedSpan, SpanSink } from './span-sink.ts'
import type { SpanRow } from './span-row.ts'
import { setEntry, type StringRecord } from './string-record.ts'

export { UNKNOWN_SERVICE, type MappingOptions, type SpanRejection } from './map-spans.ts'

export interface SpanRowsResult extends MapSpansResult {
  readonly rows: SpanRow[]
}

/** Picks the mapping options out of the resolved configuration. */
export function toMappingOptions(config: Pick<Config, 'mapping' | 'otlp'>): MappingOptions {
  return { ...config.mapping, maxAttributesPerSpan: config.otlp.maxAttributesPerSpan }
}

/**
 * The `spans` rows of a request as objects, by the same mapping the columnar ingest path
 * uses (`mapSpans`). For the paths that write rows as JSON and for reading a mapping in tests.
 */
export function toSpanRows(
  request: TraceRequest,
  mapping: MappingOptions,
  options: MapSpansOptions = {},
): SpanRowsResult {
  const rows: SpanRow[] = []
  return { rows, ...mapSpans(request, mapping, createRowSink(rows), options) }
}

function createRowSink(rows: SpanRow[]): SpanSink {
  let resourceAttributes: Readonly<StringRecord> = {}
  return {
    beginResource(resource: MappedResource) {
      resourceAttributes = toRecord(resource.keys, resource.values)
    },
    append(span: MappedSpan) {
      rows.push({
        timestamp: span.startTimeUnixNano.toString(),
        service: span.service,
        environment: span.environment,
        release: span.release,
        flags: toRecord(span.flagKeys, span.flagVariants),
        name: span.name,
        kind: span.kind,
        status_code: span.statusCode,
        status_message: span.statusMessage,
        http_status_code: span.httpStatusCode,
        http_route: span.httpRoute,
        is_error: span.isError,
        is_entry: span.isEntry,
        duration_ns: span.durationNs.toString(),
        trace_id: span.traceId,
        span_id: span.spanId,
        parent_span_id: span.parentSpanId,
        resource_attributes: resourceAttributes,
        span_attributes: toRecord(span.attributeKeys, span.attributeValues),
      })
    },
  }
}

function toRecord(keys: readonly string[], values: readonly string[]): StringRecord {
  const record: StringRecord = {}
  keys.forEach((key, i) => setEntry(record, key, values[i]!))
  return record
}
