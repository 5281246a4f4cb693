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
 * to `events`. Events of the plain shape producers write are read from the bytes
 * (`scanJsonEvent`); any other message is parsed with JSON.parse and mapped by `toEventRow`,
 * which also says why an invalid one is refused.
 */
export function decodeJsonEvent(
  value: Buffer,
  limits: EventLimits,
  events: () => EventsChunkBuilder,
): FormatResult {
  if (scanJsonEvent(value, limits, scanned)) {
    const builder = events()
    builder.addBytes(scanned)
    return { kind: 'event', row: builder.rows - 1 }
  }
  // Buffer#toString would replace invalid sequences silently; bad bytes are refused instead.
  if (!isUtf8(value)) return { kind: 'poison', error: 'json: the message is not valid UTF-8' }
  let document: unknown
  try {
    document = JSON.parse(value.toString('utf8'))
  } catch (error) {
    return { kind: 'poison', error: `json: the message is not valid JSON: ${toMessage(error)}` }
  }
  const result = toEventRow(document, limits)
  if (!result.ok) return { kind: 'poison', error: `json: ${result.error}` }
  const builder = events()
  builder.add(result.row)
  return { kind: 'event', row: builder.rows - 1 }
}
