import { isUtf8 } from 'node:buffer'
import { toEventRow, type EventLimits } from '../../../model/to-event-row.ts'
import { toMessage } from '../../../errors.ts'
import type { DecodedMessage } from './message-format.ts'

/** A `json` topic message: one release event (docs/kafka-json-events.md) as UTF-8 JSON. */
export function decodeJsonEvent(value: Buffer, limits: EventLimits): DecodedMessage {
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
  return {
    kind: 'rows',
    table: 'events',
    rows: [result.row],
    rejectedItems: [],
  }
}
