import { RhError } from '../../../errors.ts'
import { isMessageFormat, MESSAGE_FORMATS, type MessageFormat } from './format-registry.ts'

/**
 * Reads the `kafka.topics` setting, `topic:format` entries, into topic -> format. The format is
 * after the last colon, so topic names keep any character Kafka allows.
 *
 * @throws RhError `RH_CONFIG_INVALID` naming the entry that has no known format or repeats a topic.
 */
export function parseTopicFormats(entries: readonly string[]): ReadonlyMap<string, MessageFormat> {
  const formats = new Map<string, MessageFormat>()
  for (const entry of entries) {
    const separator = entry.lastIndexOf(':')
    const topic = entry.slice(0, separator).trim()
    const format = entry.slice(separator + 1).trim()
    if (separator <= 0 || topic === '' || !isMessageFormat(format)) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `config key "kafka.topics" entry ${JSON.stringify(entry)} must be "topic:format" with format one of ${MESSAGE_FORMATS.join(', ')}`,
      )
    }
    if (formats.has(topic)) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `config key "kafka.topics" names topic ${JSON.stringify(topic)} twice; give each topic one format`,
      )
    }
    formats.set(topic, format)
  }
  return formats
}
