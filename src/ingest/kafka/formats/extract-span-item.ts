import { fieldTag, ProtobufReader, WIRE_TYPE } from '../../otlp/protobuf-reader.ts'

/** Where one span is in an OTLP trace request. */
export interface SpanPosition {
  readonly resourceIndex: number
  readonly scopeIndex: number
  readonly spanIndex: number
}

const LEN = WIRE_TYPE.lengthDelimited
/** TracesData / ExportTraceServiceRequest: `repeated ResourceSpans resource_spans = 1`. */
const RESOURCE_SPANS = fieldTag(1, LEN)
/** ResourceSpans: `Resource resource = 1; repeated ScopeSpans scope_spans = 2`. */
const RESOURCE = fieldTag(1, LEN)
const SCOPE_SPANS = fieldTag(2, LEN)
/** ScopeSpans: `InstrumentationScope scope = 1; repeated Span spans = 2`. */
const SCOPE = fieldTag(1, LEN)
const SPANS = fieldTag(2, LEN)
/** `string schema_url = 3` in both ResourceSpans and ScopeSpans. */
const SCHEMA_URL = fieldTag(3, LEN)

/**
 * One span of an OTLP trace message, as a trace message of its own in the same encoding: the
 * span with its resource and scope, each exactly as the sender wrote them (the protobuf bytes,
 * or the JSON values). A rejected span's dead letter holds this, so that it can be read, fixed
 * and sent again alone, without repeating the whole message for every rejected span in it.
 *
 * Only called for a message that decoded, so the structure is known to be sound; if the span
 * cannot be found after all, the answer is undefined and the dead letter carries no payload.
 */
export function extractSpanItem(
  encoding: 'otlp_proto' | 'otlp_json',
  value: Buffer,
  at: SpanPosition,
): Buffer | undefined {
  try {
    return encoding === 'otlp_proto' ? extractProtobuf(value, at) : extractJson(value, at)
  } catch {
    return undefined
  }
}

/**
 * JSON numbers keep their source text (`JSON.rawJSON`, Node ≥ 21): an int64 timestamp sent as
 * a bare number would otherwise come out rounded to a double.
 */
const keepNumberText = (_key: string, value: unknown, context?: { source?: string }): unknown =>
  typeof value === 'number' && context?.source !== undefined
    ? (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(context.source)
    : value

function extractJson(value: Buffer, at: SpanPosition): Buffer | undefined {
  const request = JSON.parse(value.toString('utf8'), keepNumberText) as Record<string, unknown>
  const resourceSpans = nth(field(request, 'resourceSpans', 'resource_spans'), at.resourceIndex)
  const scopeSpans = nth(field(resourceSpans, 'scopeSpans', 'scope_spans'), at.scopeIndex)
  const span = nth(field(scopeSpans, 'spans', 'spans'), at.spanIndex)
  if (resourceSpans === undefined || scopeSpans === undefined || span === undefined) {
    return undefined
  }
  const item = {
    resourceSpans: [
      {
        ...pick(resourceSpans, ['resource', 'schemaUrl', 'schema_url']),
        scopeSpans: [{ ...pick(scopeSpans, ['scope', 'schemaUrl', 'schema_url']), spans: [span] }],
      },
    ],
  }
  return Buffer.from(JSON.stringify(item))
}

function field(object: unknown, camel: string, snake: string): unknown {
  if (typeof object !== 'object' || object === null) return undefined
  const record = object as Record<string, unknown>
  return record[camel] ?? record[snake]
}

function nth(list: unknown, index: number): Record<string, unknown> | undefined {
  const item: unknown = Array.isArray(list) ? list[index] : undefined
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : undefined
}

function pick(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]))
}

/** A length-delimited field's payload: where it starts and ends in the buffer. */
interface Slice {
  readonly start: number
  readonly end: number
}

function extractProtobuf(value: Buffer, at: SpanPosition): Buffer | undefined {
  const reader = new ProtobufReader(value)
  const resourceSpans = nthField(
    reader,
    { start: 0, end: value.length },
    RESOURCE_SPANS,
    at.resourceIndex,
    'TracesData',
  )
  if (resourceSpans === undefined) return undefined
  const resource = fields(reader, resourceSpans, 'ResourceSpans')
  const scopeSpans = resource.get(SCOPE_SPANS)?.[at.scopeIndex]
  if (scopeSpans === undefined) return undefined
  const scope = fields(reader, scopeSpans, 'ScopeSpans')
  const span = scope.get(SPANS)?.[at.spanIndex]
  if (span === undefined) return undefined
  const bytes = (slice: Slice): Buffer => value.subarray(slice.start, slice.end)
  const scopeItem = Buffer.concat([
    ...(scope.get(SCOPE) ?? []).map((slice) => lengthDelimited(SCOPE, bytes(slice))),
    lengthDelimited(SPANS, bytes(span)),
    ...(scope.get(SCHEMA_URL) ?? []).map((slice) => lengthDelimited(SCHEMA_URL, bytes(slice))),
  ])
  const resourceItem = Buffer.concat([
    ...(resource.get(RESOURCE) ?? []).map((slice) => lengthDelimited(RESOURCE, bytes(slice))),
    lengthDelimited(SCOPE_SPANS, scopeItem),
    ...(resource.get(SCHEMA_URL) ?? []).map((slice) => lengthDelimited(SCHEMA_URL, bytes(slice))),
  ])
  return lengthDelimited(RESOURCE_SPANS, resourceItem)
}

/** The `index`-th occurrence of the length-delimited field `tag` in the message `within`. */
function nthField(
  reader: ProtobufReader,
  within: Slice,
  tag: number,
  index: number,
  messageName: string,
): Slice | undefined {
  return fields(reader, within, messageName, tag).get(tag)?.[index]
}

/** The length-delimited fields of the message `within`, by tag (only `only`, when given). */
function fields(
  reader: ProtobufReader,
  within: Slice,
  messageName: string,
  only?: number,
): Map<number, Slice[]> {
  const found = new Map<number, Slice[]>()
  reader.pos = within.start
  while (reader.pos < within.end) {
    const tag = reader.tag(within.end, messageName)
    if ((tag & 7) !== LEN || (only !== undefined && tag !== only)) {
      reader.skip(tag, within.end)
      continue
    }
    const end = reader.lengthDelimited(within.end)
    const slices = found.get(tag) ?? []
    slices.push({ start: reader.pos, end })
    found.set(tag, slices)
    reader.pos = end
  }
  return found
}

/** `tag` followed by the varint length of `payload` and the payload. */
function lengthDelimited(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(tag), varint(payload.length), payload])
}

function varint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 128)
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}
