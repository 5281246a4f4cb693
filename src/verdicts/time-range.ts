import { RhError } from '../errors.ts'

/**
 * The times the store can hold: span timestamps are DateTime64(9), nanoseconds since 1970 in
 * a signed 64-bit integer, so 1970-01-01T00:00:00Z to 2262-04-11T23:47:16.854Z. A time from a
 * request outside it is the client's error (400), not a store failure to retry.
 */
export const MIN_TIME_MS = 0
export const MAX_TIME_MS = Math.floor(Number((2n ** 63n - 1n) / 1_000_000n))

/**
 * Epoch milliseconds of an RFC 3339 time from a request, or `RH_API_INVALID_REQUEST` naming
 * `field` when it is not a time or lies outside {@link MIN_TIME_MS}..{@link MAX_TIME_MS}.
 */
export function parseRequestTime(field: string, value: string): number {
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${field} must be an RFC 3339 time such as 2026-11-22T10:00:00Z, got ${JSON.stringify(value)}`,
    )
  }
  assertTimeInRange(field, ms)
  return ms
}

/** Throws `RH_API_INVALID_REQUEST` naming `field` when `ms` is outside what the store holds. */
export function assertTimeInRange(field: string, ms: number): void {
  if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${field} must lie between ${new Date(MIN_TIME_MS).toISOString()} and ${new Date(MAX_TIME_MS).toISOString()} (what the store's timestamps hold), got ${new Date(ms).toISOString()}`,
    )
  }
}
