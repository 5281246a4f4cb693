import { isKeyValueList, type AnyValue, type KeyValue } from '../ingest/otlp/otlp-types.ts'

/**
 * The string form of an OTLP AnyValue, for string-only stores such as ClickHouse
 * `Map(String, String)` columns. Follows the OpenTelemetry specification, "AnyValue
 * representation for non-OTLP protocols" (specification/common/README.md): strings as they
 * are, booleans `true`/`false`, integers and doubles in decimal (`NaN`, `Infinity`,
 * `-Infinity`), bytes base64, the empty value as an empty string, and arrays and maps as JSON
 * whose elements follow the same rules (bytes and non-finite doubles as JSON strings, empty
 * values as `null`).
 */
export function anyValueToString(value: AnyValue): string {
  switch (typeof value) {
    case 'string':
      return value
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
    case 'bigint':
      return String(value)
  }
  if (value === null) return ''
  if (value instanceof Uint8Array) return toBase64(value)
  return toJson(value)
}

/** The value of the last attribute named `key`, as a string; undefined when absent. */
export function findAttribute(keyValues: readonly KeyValue[], key: string): string | undefined {
  for (let i = keyValues.length - 1; i >= 0; i--) {
    const keyValue = keyValues[i]!
    if (keyValue.key === key) return anyValueToString(keyValue.value)
  }
  return undefined
}

function toJson(value: AnyValue): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return value.toString()
    case 'number':
      return Number.isFinite(value) ? String(value) : `"${String(value)}"`
  }
  if (value === null) return 'null'
  if (value instanceof Uint8Array) return `"${toBase64(value)}"`
  if (!isKeyValueList(value)) return `[${value.map(toJson).join(',')}]`
  const members = value.kvlist.map(
    ({ key, value: member }) => `${JSON.stringify(key)}:${toJson(member)}`,
  )
  return `{${members.join(',')}}`
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
