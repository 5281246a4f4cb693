/**
 * The catalogue of expected failures. Each code is stable (clients and logs key off it),
 * carries the HTTP status it maps to and whether retrying the same request can succeed.
 */
export const ERRORS = {
  RH_CONFIG_INVALID: { status: 500, retriable: false },
  RH_INGEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  RH_INGEST_UNDECODABLE: { status: 400, retriable: false },
  RH_INGEST_TOO_LARGE: { status: 413, retriable: false },
  RH_INGEST_SATURATED: { status: 429, retriable: true },
  /** The store refused the request's own rows (a value no column can hold): retrying cannot help. */
  RH_INGEST_REFUSED_BY_STORE: { status: 400, retriable: false },
  RH_INGEST_SHUTTING_DOWN: { status: 503, retriable: true },
  /** A signal, method or path this receiver does not serve (gRPC: UNIMPLEMENTED). */
  RH_INGEST_NOT_SERVED: { status: 404, retriable: false },
  RH_STORE_UNREACHABLE: { status: 503, retriable: true },
  RH_STORE_WRITE_FAILED: { status: 503, retriable: true },
  RH_STORE_MIGRATION_FAILED: { status: 500, retriable: false },
  RH_STORE_QUERY_FAILED: { status: 503, retriable: true },
  RH_API_INVALID_REQUEST: { status: 400, retriable: false },
  RH_API_NOT_FOUND: { status: 404, retriable: false },
  RH_API_UNAUTHORIZED: { status: 401, retriable: false },
  RH_API_FORBIDDEN: { status: 403, retriable: false },
  RH_API_BODY_TOO_LARGE: { status: 413, retriable: false },
  /** The analysis changed since the version the request was based on: read it again, then retry. */
  RH_API_CONFLICT: { status: 409, retriable: false },
  RH_POLICY_INVALID: { status: 400, retriable: false },
  /** A valid policy whose `source` this instance cannot read (no exporter table configured). */
  RH_POLICY_SOURCE_UNAVAILABLE: { status: 400, retriable: false },
  /** Analyst SQL that may not run: a write, a setting, another database, two statements. */
  RH_SQL_REFUSED: { status: 400, retriable: false },
  /** Analyst SQL that ClickHouse refused: syntax, unknown column, a time or row limit. */
  RH_SQL_FAILED: { status: 400, retriable: false },
  RH_KAFKA_UNREACHABLE: { status: 503, retriable: true },
  /** The brokers refused the credentials, or the TLS handshake failed: a configuration fix. */
  RH_KAFKA_AUTH_FAILED: { status: 503, retriable: false },
  /** A bug: the message is logged, the client sees only that it happened. */
  RH_INTERNAL: { status: 500, retriable: false },
} as const

export type ErrorCode = keyof typeof ERRORS

/** An expected failure with a stable code; the message says what was wrong and what to do. */
export class RhError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly retriable: boolean
  /** Seconds a client should wait before retrying, for retriable errors under load. */
  readonly retryAfterSeconds: number | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RhError'
    this.code = code
    this.status = ERRORS[code].status
    this.retriable = ERRORS[code].retriable
    this.retryAfterSeconds = options.retryAfterSeconds
  }
}

export function isRhError(error: unknown, code?: ErrorCode): error is RhError {
  return error instanceof RhError && (code === undefined || error.code === code)
}

/** The message of any thrown value, for logs and error bodies. */
export function toMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
