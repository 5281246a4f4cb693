/**
 * The logging surface every stage receives. pino (fastify's logger) satisfies it; tests and
 * library users can pass `silentLogger`.
 */
export interface Logger {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

const ignore = (): void => undefined

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
