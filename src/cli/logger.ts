import { pino } from 'pino'
import type { Logger } from '../logger.ts'

/** Structured JSON logs on stdout, one event per line; `RH_LOG_LEVEL` or --log-level sets the level. */
export function createCliLogger(level: string): Logger & { flush(): void } {
  const logger = pino({ level, base: { app: 'release-health' } })
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    flush: () => logger.flush(),
  }
}
