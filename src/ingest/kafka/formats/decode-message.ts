import { toMessage } from '../../../errors.ts'
import { KAFKA_FORMATS, type DecodeOptions, type MessageFormat } from './format-registry.ts'
import type { DecodedMessage } from './message-format.ts'

export type { DecodeOptions } from './format-registry.ts'

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
  if (value === null || value.length === 0) {
    return { kind: 'poison', error: `${format}: the message has no value` }
  }
  if (value.length > options.maxMessageBytes) {
    return {
      kind: 'poison',
      error: `${format}: the message has ${value.length} bytes, more than kafka.maxMessageBytes (${options.maxMessageBytes})`,
    }
  }
  try {
    return KAFKA_FORMATS[format].decode(value, options)
  } catch (error) {
    const reason = toMessage(error)
    return {
      kind: 'poison',
      error: reason.startsWith(format) ? reason : `${format}: ${reason}`,
    }
  }
}
