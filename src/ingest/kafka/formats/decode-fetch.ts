import type { EventLimits } from '../../../model/to-event-row.ts'
import { createEventsChunkBuilder, type EventsChunkBuilder } from '../../../store/events-block.ts'
import { decodeJsonEventAt } from './decode-json-event.ts'
import { decodeMessages, sizeRefusal, thrownReason, type DecodeOptions } from './decode-message.ts'
import type { MessageFormat } from './format-registry.ts'
import type { DecodedMessage } from './message-format.ts'
import { toWire, type WireFetch } from './fetch-wire.ts'

/**
 * A fetch's message values as a decoding thread receives them (`bytes`, with per message its
 * value's start and end in `bounds`, -1 and -1 for none) decoded into the {@link WireFetch} it
 * sends back: the same as `toWire(decodeMessages(format, values, options))`. Release events
 * (`json`) are read straight from `bytes` into the fetch's events chunk, with no Buffer, no
 * result object and no message object per event: only a poison message is an object.
 */
export function decodeFetch(
  format: MessageFormat,
  bytes: Uint8Array,
  bounds: Int32Array,
  options: DecodeOptions,
): WireFetch {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (format === 'json') return decodeJsonFetch(source, bounds, options)
  const values = Array.from({ length: bounds.length / 2 }, (_, index) => {
    const start = bounds[2 * index]!
    return start < 0 ? null : source.subarray(start, bounds[2 * index + 1])
  })
  return toWire(decodeMessages(format, values, options))
}

function decodeJsonFetch(source: Buffer, bounds: Int32Array, options: DecodeOptions): WireFetch {
  const count = bounds.length / 2
  const limits = { maxAttributes: options.mapping.maxAttributesPerSpan }
  let builder: EventsChunkBuilder | undefined
  const events = () => (builder ??= createEventsChunkBuilder(count))
  const eventRows = new Int32Array(count).fill(-1)
  const others: { index: number; decoded: DecodedMessage }[] = []
  for (let index = 0; index < count; index++) {
    const start = bounds[2 * index]!
    const end = bounds[2 * index + 1]!
    const refused = sizeRefusal('json', start < 0 ? -1 : end - start, options)
    const result = refused ?? decodeJsonValue(source, start, end, limits, events)
    if (typeof result === 'number') eventRows[index] = result
    else others.push({ index, decoded: { kind: 'poison', error: result } })
  }
  return { events: builder?.finish() ?? null, eventRows, others }
}

/** `decodeJsonEventAt`, any exception its poison reason (as `decodeMessages` makes it). */
function decodeJsonValue(
  source: Buffer,
  start: number,
  end: number,
  limits: EventLimits,
  events: () => EventsChunkBuilder,
): number | string {
  try {
    return decodeJsonEventAt(source, start, end, limits, events)
  } catch (error) {
    return thrownReason('json', error)
  }
}
