import { pino, type DestinationStream } from 'pino'
import pinoPretty from 'pino-pretty'
import type { Logger } from '../logger.ts'

export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface CliLoggerOptions {
  /** debug, info, warn or error. */
  readonly level: string
  /** pretty for people at a terminal, json (one object a line) for log collectors. */
  readonly format: LogFormat
  /** Where lines go; stdout when left out. */
  readonly destination?: NodeJS.WritableStream
  /** Colours in pretty lines; on when the destination is a terminal. */
  readonly colorize?: boolean
}

export type CliLogger = Logger & { flush(): void }

/**
 * The log format people expect where the output goes: on a terminal, pretty lines with the
 * local time and the level's name; anywhere else (a pipe, a file, a container's log driver),
 * pino's JSON lines, one event an object.
 */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stdout): LogFormat {
  return stream.isTTY === true ? 'pretty' : 'json'
}

/** Structured logs, one event a line; `RH_LOG_LEVEL` or --log-level sets the level. */
export function createCliLogger(options: CliLoggerOptions): CliLogger {
  const destination = options.destination ?? process.stdout
  const stream: DestinationStream =
    options.format === 'pretty'
      ? pinoPretty({
          destination,
          sync: true,
          colorize: options.colorize ?? (destination as { isTTY?: boolean }).isTTY === true,
          // The machine's own time zone, to the millisecond, with its offset.
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
          ignore: 'pid,hostname,app',
        })
      : destination
  const logger = pino({ level: options.level, base: { app: 'release-health' } }, stream)
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    flush: () => logger.flush(),
  }
}
