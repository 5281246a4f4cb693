import { isRhError, RhError, toMessage } from '../errors.ts'
import { isRetriableStoreError } from '../store/retry.ts'

/**
 * Any failure of an API request in the catalogue's terms: expected errors pass through,
 * Fastify's validation and client errors become 400/404 (413 for a body over the limit), a passing store failure is a
 * retriable 503, and anything else is a bug: 500 without its internals, which the log keeps.
 */
export function toApiError(error: unknown, options: { maxBodyBytes?: number } = {}): RhError {
  if (isRhError(error)) return error
  const fastifyError = error as { validation?: unknown; statusCode?: number; message?: string }
  if (fastifyError.statusCode === 413) {
    const limit = options.maxBodyBytes === undefined ? '' : ` of ${options.maxBodyBytes} bytes`
    return new RhError(
      'RH_API_BODY_TOO_LARGE',
      `the request body is over the API's limit${limit}; send a smaller body`,
    )
  }
  if (fastifyError.validation !== undefined) {
    return new RhError(
      'RH_API_INVALID_REQUEST',
      `invalid request: ${fastifyError.message ?? 'validation failed'}`,
    )
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return new RhError(
      fastifyError.statusCode === 404 ? 'RH_API_NOT_FOUND' : 'RH_API_INVALID_REQUEST',
      toMessage(error),
    )
  }
  if (isRetriableStoreError(error)) {
    return new RhError(
      'RH_STORE_QUERY_FAILED',
      `the store did not answer in time (${toMessage(error)}); retry`,
      { cause: error, retryAfterSeconds: 5 },
    )
  }
  return new RhError('RH_INTERNAL', 'internal error; the server log has the details', {
    cause: error,
  })
}
