import { toMessage } from '../../../errors.ts'
import { createEventsChunkBuilder, type EventsChunkBuilder } from '../../../store/events-block.ts'
import { KAFKA_FORMATS, type DecodeOptions, type MessageFormat } from './format-registry.ts'
import { eventMessage, type DecodedMessage, type FormatResult } from './message-format.ts'

export type { DecodeOptions } from './format-registry.ts'

/**
 * Decodes the message values of one fetch from a partition of a `format` topic, in order.
 * Release events (`json`) are mapped into one events chunk for the fetch, each message holding
 * its row's place in it; spans and metric points into a chunk per message. Never throws: see
 * {@link decodeMessage}.
 */
export function decodeMessages(
  format: MessageFormat,
  values: readonly (Buffer | null)[],
  options: DecodeOptions,
): DecodedMessage[] {
  let builder: EventsChunkBuilder | undefined
  const events = () => (builder ??= createEventsChunkBuilder(values.length))
  const results = values.map((value) => decodeValue(format, value, options, events))
  if (builder === undefined) return results as DecodedMessage[]
  const chunk = builder.finish()
  return results.map((result) =>
    result.kind === 'event' ? eventMessage(chunk, result.row) : result,
  )
}

/**
 * Decodes one Kafka message value in its topic's format. Never throws: whatever is wrong with
 * the bytes (empty, too large, undecodable, invalid content, even a decoder bug) makes a
 * poison message with a reason, so that one bad message cannot stop a partition.
 */
export function decodeMessage(
  format: MessageFormat,
  value: Buffer | null,
  options: DecodeOptions,
): DecodedMessage {
  return decodeMessages(format, [value], options)[0]!
}

function decodeValue(
  format: MessageFormat,
  value: Buffer | null,
  options: DecodeOptions,
  events: () => EventsChunkBuilder,
): FormatResult {
  const refused = sizeRefusal(format, value === null ? -1 : value.length, options)
  if (refused !== undefined) return { kind: 'poison', error: refused }
  try {
    return KAFKA_FORMATS[format].decode(value!, options, events)
  } catch (error) {
    return { kind: 'poison', error: thrownReason(format, error) }
  }
}

/**
 * Why a message of `bytes` bytes (-1: without a value) is not decoded at all: empty or larger
 * than `kafka.maxMessageBytes`; undefined when it is decoded.
 */
export function sizeRefusal(
  format: MessageFormat,
  bytes: number,
  options: DecodeOptions,
): string | undefined {
  if (bytes <= 0) return `${format}: the message has no value`
  if (bytes > options.maxMessageBytes) {
    return `${format}: the message has ${bytes} bytes, more than kafka.maxMessageBytes (${options.maxMessageBytes})`
  }
  return undefined
}

/** The poison reason of a message whose decoder threw `error`. */
export function thrownReason(format: MessageFormat, error: unknown): string {
  const reason = toMessage(error)
  return reason.startsWith(format) ? reason : `${format}: ${reason}`
}
