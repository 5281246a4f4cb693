import type { SpanKindName } from './span-row.ts'

/**
 * Where mapped spans go: the columnar block builder on the ingest path, a row collector in
 * tests and tools. The mapping calls `beginResource` once per resource, then `append` for
 * each accepted span of it. Both arguments are reused between calls: a sink copies what it
 * keeps.
 */
export interface SpanSink {
  beginResource(resource: MappedResource): void
  append(span: MappedSpan): void
}

/** A resource's attributes as stored: each key once, with its last value. */
export interface MappedResource {
  readonly keys: readonly string[]
  readonly values: readonly string[]
}

/** One span with the fields of a `spans` row (see `SpanRow` for their meaning). */
export interface MappedSpan {
  /** Start, nanoseconds since the Unix epoch, below 2^63. */
  readonly startTimeUnixNano: bigint
  /** End minus start, at least 0. */
  readonly durationNs: bigint
  readonly service: string
  readonly environment: string
  readonly release: string
  readonly flagKeys: readonly string[]
  readonly flagVariants: readonly string[]
  readonly name: string
  readonly kind: SpanKindName
  readonly statusCode: 'unset' | 'ok' | 'error'
  readonly statusMessage: string
  readonly httpStatusCode: number
  readonly httpRoute: string
  readonly isError: 0 | 1
  readonly isEntry: 0 | 1
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  /** Span attributes: each key once, with its last value, in order of first appearance. */
  readonly attributeKeys: readonly string[]
  readonly attributeValues: readonly string[]
}
