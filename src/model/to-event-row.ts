import { EVENT_OUTCOMES, type EventOutcome, type EventRow } from './event-row.ts'
import { parseRfc3339NanosText } from './parse-rfc3339.ts'
import { MAX_START_NS } from './span-rules.ts'

/** The version of the release-event schema this mapping reads (docs/kafka-json-events.md). */
export const EVENT_SCHEMA_VERSION = 1

export interface EventLimits {
  /** Events with more attributes (or more flags) than this are refused as absurd. */
  readonly maxAttributes: number
}

/** The mapping's answer: the row, or why the document is not a valid release event. */
export type EventRowResult =
  { readonly ok: true; readonly row: EventRow } | { readonly ok: false; readonly error: string }

type Fields = Readonly<Record<string, unknown>>

/**
 * Maps one parsed JSON release event (schema version 1) to an `events` row. Required:
 * `schemaVersion` 1, `timestamp` (RFC 3339), `service`, `name`, and `value` and/or `outcome`;
 * optional: `environment`, `release`, `flags`, `attributes`. Unknown fields are ignored, so
 * producers may add fields without breaking older workers; a wrong type is refused, naming
 * the field. Pure: the same document always gives the same answer.
 */
export function toEventRow(document: unknown, limits: EventLimits): EventRowResult {
  try {
    return { ok: true, row: readEvent(document, limits) }
  } catch (error) {
    if (error instanceof InvalidEvent) return { ok: false, error: error.message }
    throw error
  }
}

/** Thrown by the field readers below and turned into a result value by `toEventRow`. */
class InvalidEvent extends Error {}

function readEvent(document: unknown, limits: EventLimits): EventRow {
  if (!isObject(document)) invalid(`the event must be a JSON object, got ${show(document)}`)
  if (document.schemaVersion !== EVENT_SCHEMA_VERSION) {
    invalid(
      `schemaVersion must be ${EVENT_SCHEMA_VERSION}, got ${show(document.schemaVersion)}; this worker reads version ${EVENT_SCHEMA_VERSION} events`,
    )
  }
  const row: EventRow = {
    timestamp: readTimestamp(document.timestamp),
    service: readString(document, 'service', 'required'),
    environment: readString(document, 'environment', 'optional'),
    release: readString(document, 'release', 'optional'),
    flags: readStringMap(document, 'flags', limits),
    name: readString(document, 'name', 'required'),
    value: readValue(document.value),
    outcome: readOutcome(document.outcome),
    attributes: readStringMap(document, 'attributes', limits),
  }
  if (row.value === null && row.outcome === '') {
    invalid('the event needs a value, an outcome or both')
  }
  return row
}

/**
 * An event's `timestamp` as decimal nanoseconds, or undefined when it is not an RFC 3339
 * date-time from 1970 to before 2100.
 */
function toEventTimestampNanos(text: string): string | undefined {
  const nanos = parseRfc3339NanosText(text)
  return nanos !== undefined && isBeforeStoreEnd(nanos) ? nanos : undefined
}

function readTimestamp(value: unknown): string {
  const nanos = typeof value === 'string' ? toEventTimestampNanos(value) : undefined
  if (nanos === undefined) {
    invalid(
      `timestamp must be an RFC 3339 date-time from 1970 to before 2100 such as "2026-11-22T10:00:00.123Z", got ${show(value)}`,
    )
  }
  return nanos
}

const STORE_END_NS_TEXT = String(MAX_START_NS)

/** Whether decimal nanoseconds fall before 2100, as spans must (see {@link MAX_START_NS}). */
function isBeforeStoreEnd(nanos: string): boolean {
  // Digit strings without leading zeros: shorter is smaller, equal lengths compare as text.
  return (
    nanos.length < STORE_END_NS_TEXT.length ||
    (nanos.length === STORE_END_NS_TEXT.length && nanos < STORE_END_NS_TEXT)
  )
}

function readString(document: Fields, key: string, presence: 'required' | 'optional'): string {
  const value = document[key]
  if (presence === 'optional' && (value === undefined || value === null)) return ''
  if (typeof value === 'string' && (presence === 'optional' || value !== '')) return value
  return invalid(
    presence === 'required'
      ? `${key} must be a non-empty string, got ${show(value)}`
      : `${key} must be a string when present, got ${show(value)}`,
  )
}

function readValue(value: unknown): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isFinite(value)) return value
  return invalid(`value must be a finite number, got ${show(value)}`)
}

function readOutcome(value: unknown): EventOutcome | '' {
  if (value === undefined || value === null) return ''
  const outcome = EVENT_OUTCOMES.find((known) => known === value)
  return (
    outcome ?? invalid(`outcome must be one of ${EVENT_OUTCOMES.join(', ')}, got ${show(value)}`)
  )
}

/** A flat JSON object of scalars as a string map; nested values are refused. */
function readStringMap(document: Fields, key: string, limits: EventLimits): Record<string, string> {
  const value = document[key]
  if (value === undefined || value === null) return {}
  if (!isObject(value)) invalid(`${key} must be a JSON object, got ${show(value)}`)
  const entries = Object.entries(value)
  if (entries.length > limits.maxAttributes) {
    invalid(`${key} has ${entries.length} entries, more than the limit of ${limits.maxAttributes}`)
  }
  // No prototype: a key named `__proto__` is an entry like any other, not a prototype to set.
  const map: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [name, item] of entries) {
    if (typeof item === 'string') map[name] = item
    else if (typeof item === 'number' || typeof item === 'boolean') map[name] = String(item)
    else invalid(`${key}.${name} must be a string, number or boolean, got ${show(item)}`)
  }
  return map
}

function invalid(message: string): never {
  throw new InvalidEvent(message)
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A short rendering of a bad value for an error message. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
