import { vi } from 'vitest'

/**
 * The wall clock, set by tests that send minutes of history in seconds through the real
 * OpenTelemetry metrics SDK, which stamps its points with `Date.now()` and takes no clock.
 * Only `Date` is replaced: timers, `performance.now()` and IO run as usual. The server in the
 * same process sees the set time too, which it only reads to refuse points past the
 * retention (years in tests); restore the clock before asking for verdicts.
 */
export function setSdkClock(epochMs: number): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(epochMs)
}

/** Back to the real clock. */
export function restoreSdkClock(): void {
  vi.useRealTimers()
}
