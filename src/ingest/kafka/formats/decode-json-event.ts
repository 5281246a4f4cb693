import { isUtf8 } from 'node:buffer'
import { toEventRow, type EventLimits } from '../../../model/to-event-row.ts'
import { toMessage } from '../../../errors.ts'
import type { EventsChunkBuilder } from '../../../store/events-block.ts'
import type { FormatResult } from './message-format.ts'
import { ScannedEvent, scanJsonEvent } from './scan-json-event.ts'

/** The thread's scanned event, reused by every message. */
const scanned = new ScannedEvent()

/**
 * A `json` topic message: one release event (docs/kafka-json-events.md) as UTF-8 JSON, added
 * to `events`. See {@link decodeJsonEventAt}.
 */
export function decodeJsonEvent(
  value: Buffer,
  limits: EventLimits,
  events: () => EventsChunkBuilder,
): FormatResult {
  const result = decodeJsonEventAt(value, 0, value.length, limits, events)
  return typeof result === 'number'
    ? { kind: 'event', row: result }
    : { kind: 'poison', error: result }
}

/**
 * The `json` message `bytes[start, end)` (`bytes` may hold a whole fetch's values) added to
 * `events`: its row there, or the reason it is a poison message. Events of the plain shape
 * producers write are read from the bytes (`scanJsonEvent`); any other message is parsed with
 * JSON.parse and mapped by `toEventRow`, which also says why an invalid one is refused. A row
 * or a string: no object per message.
 */
export function decodeJsonEventAt(
  bytes: Buffer,
  start: number,
  end: number,
  limits: EventLimits,
  events: () => EventsChunkBuilder,
): number | string {
  if (scanJsonEvent(bytes, start, end, limits, scanned)) {
    const builder = events()
    builder.addBytes(scanned)
    return builder.rows - 1
  }
  // Buffer#toString would replace invalid sequences silently; bad bytes are refused instead.
  if (!isUtf8(bytes.subarray(start, end))) return 'json: the message is not valid UTF-8'
  let document: unknown
  try {
    document = JSON.parse(bytes.toString('utf8', start, end))
  } catch (error) {
    return `json: the message is not valid JSON: ${toMessage(error)}`
  }
  const result = toEventRow(document, limits)
  if (!result.ok) return `json: ${result.error}`
  const builder = events()
  builder.add(result.row)
  return builder.rows - 1
}
