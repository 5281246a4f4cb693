import type { EventsChunk } from '../../../store/events-block.ts'
import type { Packed } from '../../otlp/transferables.ts'
import type { DecodeOptions } from './decode-message.ts'
import type { MessageFormat } from './format-registry.ts'
import { eventMessage, type DecodedMessage } from './message-format.ts'

/** A fetch to decode, as `createFetchDecoder` posts it to a decoding thread. */
export interface FetchJob {
  readonly id: number
  readonly format: MessageFormat
  /** The message values, one after the other. */
  readonly bytes: Uint8Array
  /** Per message its value's start and end in `bytes`; -1 and -1 for a message without one. */
  readonly bounds: Int32Array
  readonly options: DecodeOptions
}

export interface FetchReply {
  readonly id: number
  readonly decoded?: Packed<WireFetch>
  /** Why the fetch could not be decoded at all (a bug: `decodeMessages` never throws). */
  readonly error?: string
}

/**
 * A decoded fetch as it crosses threads: the events chunk once (not once per message that
 * holds a row of it) and per message only a row number, every other message as it is.
 */
export interface WireFetch {
  readonly events: EventsChunk | null
  /** Per message, its row in `events`, or -1 for a message listed in `others`. */
  readonly eventRows: Int32Array
  readonly others: readonly { readonly index: number; readonly decoded: DecodedMessage }[]
}

export function toWire(decoded: readonly DecodedMessage[]): WireFetch {
  let events: EventsChunk | null = null
  const eventRows = new Int32Array(decoded.length).fill(-1)
  const others: { index: number; decoded: DecodedMessage }[] = []
  decoded.forEach((message, index) => {
    if (
      message.kind === 'rows' &&
      message.table === 'events' &&
      message.rejectedItems.length === 0
    ) {
      events ??= message.chunk
      if (message.chunk === events && message.to === message.from + 1) {
        eventRows[index] = message.from
        return
      }
    }
    others.push({ index, decoded: message })
  })
  return { events, eventRows, others }
}

/** The decoded messages of a fetch again, their rejected items' payloads as Buffers again. */
export function fromWire({ events, eventRows, others }: WireFetch): DecodedMessage[] {
  const decoded = new Array<DecodedMessage>(eventRows.length)
  if (events !== null) {
    for (let index = 0; index < eventRows.length; index++) {
      const row = eventRows[index]!
      if (row < 0) continue
      decoded[index] = eventMessage(events, row)
    }
  }
  for (const { index, decoded: message } of others) {
    decoded[index] =
      message.kind === 'rows' && message.rejectedItems.length > 0
        ? {
            ...message,
            rejectedItems: message.rejectedItems.map((item) => ({
              ...item,
              payload:
                item.payload === null
                  ? null
                  : Buffer.from(item.payload.buffer, item.payload.byteOffset, item.payload.length),
            })),
          }
        : message
  }
  return decoded
}

/**
 * The values copied into one buffer to transfer: a fetch's values are views of KafkaJS's
 * response buffers, which cannot move. `bounds` holds each value's start and end, -1 for null.
 */
export function packValues(values: readonly (Buffer | null)[]): {
  bytes: Uint8Array<ArrayBuffer>
  bounds: Int32Array<ArrayBuffer>
} {
  let total = 0
  for (const value of values) total += value?.length ?? 0
  const bytes = new Uint8Array(total)
  const bounds = new Int32Array(values.length * 2)
  let at = 0
  values.forEach((value, index) => {
    if (value === null) {
      bounds[2 * index] = -1
      bounds[2 * index + 1] = -1
      return
    }
    bytes.set(value, at)
    bounds[2 * index] = at
    at += value.length
    bounds[2 * index + 1] = at
  })
  return { bytes, bounds }
}
