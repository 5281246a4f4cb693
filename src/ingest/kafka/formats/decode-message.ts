import { toMessage } from '../../../errors.ts'
import type { MappingOptions } from '../../../model/to-span-rows.ts'
import { decodeJsonEvent } from './decode-json-event.ts'
import { decodeOtlpTraces } from './decode-otlp-traces.ts'
import type { DecodedMessage, MessageFormat } from './message-format.ts'

export interface DecodeOptions {
  readonly mapping: MappingOptions
  /** Larger messages are not decoded (`kafka.maxMessageBytes`). */
  readonly maxMessageBytes: number
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
    return format === 'json'
      ? decodeJsonEvent(value, { maxAttributes: options.mapping.maxAttributesPerSpan })
      : decodeOtlpTraces(format, value, options.mapping)
  } catch (error) {
    const reason = toMessage(error)
    return {
      kind: 'poison',
      error: reason.startsWith(format) ? reason : `${format}: ${reason}`,
    }
  }
}
