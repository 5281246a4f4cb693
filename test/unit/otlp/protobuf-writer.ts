/**
 * A minimal protobuf encoder for hand-made OTLP test payloads: spans with wrong id lengths,
 * unknown fields, odd wire types, which the OTel SDK never produces. Written independently of
 * the decoder under test, from the protobuf encoding guide.
 */

import {
  isKeyValueList,
  type AnyValue,
  type TraceRequest,
} from '../../../src/ingest/otlp/otlp-types.ts'

type Chunk = Uint8Array

export function concat(...chunks: readonly Chunk[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** A base-128 varint; negative numbers as 64-bit two's complement (ten bytes). */
export function varint(value: number | bigint): Uint8Array {
  let rest = BigInt.asUintN(64, BigInt(value))
  const bytes: number[] = []
  do {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    bytes.push(rest === 0n ? low : low | 0x80)
  } while (rest !== 0n)
  return Uint8Array.from(bytes)
}

export function tag(fieldNumber: number, wireType: number): Uint8Array {
  return varint((fieldNumber << 3) | wireType)
}

export const field = {
  varint: (n: number, value: number | bigint | boolean) =>
    concat(tag(n, 0), varint(typeof value === 'boolean' ? Number(value) : value)),
  fixed64: (n: number, value: bigint) => {
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true)
    return concat(tag(n, 1), bytes)
  },
  double: (n: number, value: number) => {
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, value, true)
    return concat(tag(n, 1), bytes)
  },
  fixed32: (n: number, value: number) => {
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setUint32(0, value, true)
    return concat(tag(n, 5), bytes)
  },
  bytes: (n: number, value: Uint8Array) => concat(tag(n, 2), varint(value.length), value),
  string: (n: number, value: string) => field.bytes(n, new TextEncoder().encode(value)),
  message: (n: number, ...fields: readonly Chunk[]) => field.bytes(n, concat(...fields)),
}

// OTLP messages, by the field numbers of opentelemetry-proto.

export const anyValue = {
  string: (value: string) => field.string(1, value),
  bool: (value: boolean) => field.varint(2, value),
  int: (value: bigint | number) => field.varint(3, value),
  double: (value: number) => field.double(4, value),
  array: (...values: readonly Chunk[]) =>
    field.message(5, ...values.map((value) => field.message(1, value))),
  kvlist: (...keyValues: readonly Chunk[]) =>
    field.message(6, ...keyValues.map((keyValue) => field.message(1, keyValue))),
  bytes: (value: Uint8Array) => field.bytes(7, value),
}

/** A `KeyValue` message body; `value` is an AnyValue body from `anyValue`. */
export function keyValue(key: string, value?: Chunk): Uint8Array {
  return concat(
    field.string(1, key),
    value === undefined ? new Uint8Array() : field.message(2, value),
  )
}

export interface SpanFields {
  readonly traceId?: Uint8Array
  readonly spanId?: Uint8Array
  readonly parentSpanId?: Uint8Array
  readonly name?: string
  readonly kind?: number
  readonly startTimeUnixNano?: bigint
  readonly endTimeUnixNano?: bigint
  /** KeyValue bodies. */
  readonly attributes?: readonly Chunk[]
  /** Event bodies from `event()`. */
  readonly events?: readonly Chunk[]
  readonly status?: { readonly code: number; readonly message?: string }
  /** Raw extra fields, e.g. unknown ones. */
  readonly extra?: readonly Chunk[]
}

export const TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1)
export const SPAN_ID = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i)

/** A `Span` message body with valid defaults for every field not given. */
export function span(fields: SpanFields = {}): Uint8Array {
  return concat(
    field.bytes(1, fields.traceId ?? TRACE_ID),
    field.bytes(2, fields.spanId ?? SPAN_ID),
    fields.parentSpanId === undefined ? new Uint8Array() : field.bytes(4, fields.parentSpanId),
    field.string(5, fields.name ?? 'GET /x'),
    field.varint(6, fields.kind ?? 2),
    field.fixed64(7, fields.startTimeUnixNano ?? 1_000_000_000n),
    field.fixed64(8, fields.endTimeUnixNano ?? 1_250_000_000n),
    ...(fields.attributes ?? []).map((attribute) => field.message(9, attribute)),
    ...(fields.events ?? []).map((event) => field.message(11, event)),
    fields.status === undefined
      ? new Uint8Array()
      : field.message(
          15,
          field.string(2, fields.status.message ?? ''),
          field.varint(3, fields.status.code),
        ),
    ...(fields.extra ?? []),
  )
}

export function event(
  name: string,
  attributes: readonly Chunk[] = [],
  timeUnixNano = 0n,
): Uint8Array {
  return concat(
    field.fixed64(1, timeUnixNano),
    field.string(2, name),
    ...attributes.map((attribute) => field.message(3, attribute)),
  )
}

/** A whole `ExportTraceServiceRequest`: one resource with `resourceAttributes`, one scope. */
export function request(options: {
  readonly resourceAttributes?: readonly Chunk[]
  readonly spans: readonly Chunk[]
}): Uint8Array {
  const resource = field.message(
    1,
    ...(options.resourceAttributes ?? []).map((attribute) => field.message(1, attribute)),
  )
  const scopeSpans = field.message(
    2,
    field.message(1, field.string(1, 'test-scope'), field.string(2, '0.1.0')),
    ...options.spans.map((body) => field.message(2, body)),
  )
  return field.message(1, resource, scopeSpans)
}

/** An AnyValue body for a decoded value, each JavaScript type as the decoder reads it back. */
export function encodeAnyValue(value: AnyValue): Uint8Array {
  if (value === null) return new Uint8Array()
  switch (typeof value) {
    case 'string':
      return anyValue.string(value)
    case 'boolean':
      return anyValue.bool(value)
    case 'bigint':
      return anyValue.int(value)
    case 'number':
      return anyValue.double(value)
  }
  if (value instanceof Uint8Array) return anyValue.bytes(value)
  if (isKeyValueList(value)) {
    return anyValue.kvlist(...value.kvlist.map((kv) => keyValue(kv.key, encodeAnyValue(kv.value))))
  }
  return anyValue.array(...value.map(encodeAnyValue))
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))

/**
 * A decoded request encoded again as protobuf, so that one request can be fed to both
 * mappings. With `resourceLast`, each ResourceSpans puts its resource after its spans, which
 * protobuf allows and a decoder must handle.
 */
export function encodeTraceRequest(
  request: TraceRequest,
  options: { readonly resourceLast?: boolean } = {},
): Uint8Array {
  return concat(
    ...request.resourceSpans.map((resourceSpans) => {
      const resource = field.message(
        1,
        ...resourceSpans.resource.attributes.map((kv) =>
          field.message(1, keyValue(kv.key, encodeAnyValue(kv.value))),
        ),
      )
      const scopes = resourceSpans.scopeSpans.map((scopeSpans) =>
        field.message(
          2,
          field.message(1, field.string(1, scopeSpans.scope.name)),
          ...scopeSpans.spans.map((s) =>
            field.message(
              2,
              span({
                traceId: hexBytes(s.traceId),
                spanId: hexBytes(s.spanId),
                ...(s.parentSpanId === '' ? {} : { parentSpanId: hexBytes(s.parentSpanId) }),
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: s.startTimeUnixNano,
                endTimeUnixNano: s.endTimeUnixNano,
                attributes: s.attributes.map((kv) => keyValue(kv.key, encodeAnyValue(kv.value))),
                events: s.events.map((e) =>
                  event(
                    e.name,
                    e.attributes.map((kv) => keyValue(kv.key, encodeAnyValue(kv.value))),
                    e.timeUnixNano,
                  ),
                ),
                status: s.status,
              }),
            ),
          ),
        ),
      )
      return field.message(
        1,
        ...(options.resourceLast === true ? [...scopes, resource] : [resource, ...scopes]),
      )
    }),
  )
}
