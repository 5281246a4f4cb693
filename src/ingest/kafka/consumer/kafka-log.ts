import { logLevel, type LogEntry } from 'kafkajs'
import type { Logger } from '../../../logger.ts'

/**
 * KafkaJS logs through the worker's logger. Its errors are mostly connection errors it retries
 * on its own, so they are warnings here; the worker logs real failures itself.
 */
export function toKafkaLog(logger: Logger): (entry: LogEntry) => void {
  return ({ namespace, level, log }) => {
    // KafkaJS adds its own timestamp and logger name; the worker's logger has both.
    const { message, ...fields }: Record<string, unknown> = log
    delete fields.timestamp
    delete fields.logger
    const fieldsWithSource = { kafkajs: namespace, ...fields }
    if (level === logLevel.ERROR || level === logLevel.WARN)
      logger.warn(fieldsWithSource, String(message))
    else logger.debug(fieldsWithSource, String(message))
  }
}
