import { RhError } from '../../errors.ts'

/**
 * Typed value readers for OTLP/JSON, i.e. the protobuf JSON mapping
 * (https://protobuf.dev/programming-guides/json/) with the OTLP exceptions of
 * opentelemetry-proto `docs/specification.md` (hex ids, integer enums).
 *
 * Each reader takes the value, the JSON path of the object holding it and the field name,
 * and throws an error naming `path.name`, so that the sender learns exactly which value to
 * fix. The full path is only assembled on error: building it for every valid value would
 * cost more than reading the value.
 */

export type JsonObject = Readonly<Record<string, unknown>>

/** An undecodable-input error about the value at `path.name`. */
export function jsonError(path: string, name: string, problem: string): RhError {
  return new RhError('RH_INGEST_UNDECODABLE', `json: ${joinPath(path, name)} ${problem}`)
}

/** `resourceSpans[0]` + `scopeSpans` -> `resourceSpans[0].scopeSpans`; `[3]` appends as is. */
export function joinPath(path: string, name: string): string {
  if (name === '') return path
  return path === '' || name.startsWith('[') ? `${path}${name}` : `${path}.${name}`
}

/**
 * The value of a field by its lowerCamelCase JSON name, else by its original proto name
 * (for names where the two differ), which the protobuf JSON mapping also accepts. `null`
 * means "default", like an absent field.
 */
export function field(object: JsonObject, jsonName: string, protoName?: string): unknown {
  return object[jsonName] ?? (protoName === undefined ? undefined : object[protoName]) ?? undefined
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A singular message field: absent is undefined. */
export function objectAt(value: unknown, path: string, name: string): JsonObject | undefined {
  if (value === undefined || isJsonObject(value)) return value
  throw jsonError(path, name, `must be an object, got ${describe(value)}`)
}

/** A repeated field: absent is the empty list. */
export function arrayAt(value: unknown, path: string, name: string): readonly unknown[] {
  if (value === undefined) return []
  if (Array.isArray(value)) return value
  throw jsonError(path, name, `must be an array, got ${describe(value)}`)
}

export function stringAt(value: unknown, path: string, name: string): string {
  if (value === undefined) return ''
  if (typeof value !== 'string') {
    throw jsonError(path, name, `must be a string, got ${describe(value)}`)
  }
  // JSON escapes can spell lone UTF-16 surrogates, which are not text and have no UTF-8 form.
  if (!value.isWellFormed()) {
    throw jsonError(path, name, 'contains a lone UTF-16 surrogate (\\uD800-\\uDFFF)')
  }
  return value
}

export function boolAt(value: unknown, path: string, name: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    throw jsonError(path, name, `must be true or false, got ${describe(value)}`)
  }
  return value
}

const UNSIGNED_DECIMAL = /^\d{1,20}$/
const SIGNED_DECIMAL = /^-?\d{1,19}$/
const MAX_UINT64 = 2n ** 64n - 1n

/**
 * A `fixed64`/`uint64` (OTLP timestamps): a decimal string, or a JSON number. Numbers above
 * 2^53 have already lost precision in `JSON.parse`; they are accepted as parsed because
 * senders do emit them, at a cost of a few hundred nanoseconds of timestamp precision.
 */
export function uint64At(value: unknown, path: string, name: string): bigint {
  if (value === undefined) return 0n
  if (typeof value === 'string' && UNSIGNED_DECIMAL.test(value)) {
    const parsed = BigInt(value)
    if (parsed <= MAX_UINT64) return parsed
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (value < 2 ** 64) return BigInt(value)
  }
  throw jsonError(path, name, `must be an integer string (unsigned 64-bit), got ${describe(value)}`)
}

/**
 * An `int64` attribute value: a decimal string or a JSON integer number.
 *
 * A JSON number beyond the int64 range comes back as the double it is: the OTel JS SDK
 * sends any integer-valued JS number as `intValue` (1e20 included), and refusing the whole
 * batch for one such attribute would lose good spans. `JSON.parse` has rounded it already,
 * so a double is the honest value. An out-of-range decimal string is refused.
 */
export function int64At(value: unknown, path: string, name: string): bigint | number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value >= -(2 ** 63) && value < 2 ** 63 ? BigInt(value) : value
  }
  if (typeof value === 'string' && SIGNED_DECIMAL.test(value)) {
    const parsed = BigInt(value)
    if (BigInt.asIntN(64, parsed) === parsed) return parsed
  }
  throw jsonError(path, name, `must be an integer string (signed 64-bit), got ${describe(value)}`)
}

const SPECIAL_DOUBLES: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
}

/** A `double`: a JSON number, or "NaN"/"Infinity"/"-Infinity" or a numeric string. */
export function doubleAt(value: unknown, path: string, name: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    const special = SPECIAL_DOUBLES[value]
    if (special !== undefined) return special
    const parsed = value.trim() === '' ? Number.NaN : Number(value)
    if (!Number.isNaN(parsed)) return parsed
  }
  throw jsonError(path, name, `must be a number, got ${describe(value)}`)
}

/**
 * An enum: its number, as OTLP/JSON requires, or its name (e.g. "SPAN_KIND_SERVER"), which
 * the protobuf JSON mapping allows. Unknown numbers pass through, as protobuf keeps them.
 */
export function enumAt(
  value: unknown,
  path: string,
  name: string,
  valueNames: readonly string[],
): number {
  if (value === undefined) return 0
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31) {
    return value
  }
  if (typeof value === 'string') {
    const index = valueNames.indexOf(value)
    if (index >= 0) return index
  }
  const expected = valueNames.map((valueName, index) => `${index} (${valueName})`).join(', ')
  throw jsonError(path, name, `must be one of ${expected}, got ${describe(value)}`)
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/
const BASE64_URL = /^[A-Za-z0-9_-]*$/

/** A `bytes` field: base64, standard or URL-safe, padding optional, as protobuf JSON allows. */
export function bytesAt(value: unknown, path: string, name: string): Uint8Array {
  if (typeof value === 'string') {
    // Copied out of Buffer's shared pool, so a small value does not pin a larger slab.
    if (BASE64.test(value)) return new Uint8Array(Buffer.from(value, 'base64'))
    if (BASE64_URL.test(value)) return new Uint8Array(Buffer.from(value, 'base64url'))
  }
  throw jsonError(path, name, `must be a base64 string, got ${describe(value)}`)
}

/** A short description of a wrong value for messages, e.g. `number 12` or `an object`. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return value.length <= 40
        ? `string ${JSON.stringify(value)}`
        : `a ${value.length}-character string`
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`
    case 'object':
      return 'an object'
    default:
      return typeof value
  }
}
