import type { PairedBlock } from '../sequential/rate-ratio.ts'
import type { CohortSnapshot, MinuteCounts } from './judge-types.ts'

export const MINUTE_MS = 60_000

/**
 * True when a minute is over at `evaluatedAtMs` and started no earlier than the minute the
 * analysis started in. Only complete minutes enter the sequential products: a block must not
 * change after it has been used.
 */
export function isCompleteMinute(
  minute: MinuteCounts,
  startMs: number,
  evaluatedAtMs: number,
): boolean {
  return (
    minute.startMs >= Math.floor(startMs / MINUTE_MS) * MINUTE_MS &&
    minute.startMs + MINUTE_MS <= evaluatedAtMs
  )
}

/**
 * The complete minutes of both cohorts paired by start time (a minute missing from one cohort
 * counts zero requests there), or null when neither snapshot carries minute counts although
 * requests were served.
 */
export function toPairedBlocks(
  baseline: CohortSnapshot,
  canary: CohortSnapshot,
  startMs: number,
  evaluatedAtMs: number,
): PairedBlock[] | null {
  if (baseline.minutes.length === 0 && canary.minutes.length === 0) {
    return baseline.requests + canary.requests > 0 ? null : []
  }
  const byStart = new Map<number, { b: MinuteCounts | undefined; c: MinuteCounts | undefined }>()
  for (const minute of baseline.minutes) {
    if (isCompleteMinute(minute, startMs, evaluatedAtMs))
      byStart.set(minute.startMs, { b: minute, c: undefined })
  }
  for (const minute of canary.minutes) {
    if (!isCompleteMinute(minute, startMs, evaluatedAtMs)) continue
    const entry = byStart.get(minute.startMs)
    byStart.set(minute.startMs, { b: entry?.b, c: minute })
  }
  return [...byStart.keys()]
    .sort((a, b) => a - b)
    .map((start) => {
      const entry = byStart.get(start)
      return {
        baselineRequests: entry?.b?.requests ?? 0,
        baselineErrors: entry?.b?.errors ?? 0,
        canaryRequests: entry?.c?.requests ?? 0,
        canaryErrors: entry?.c?.errors ?? 0,
      }
    })
}

/** Requests and errors of a cohort's complete minutes that end within `windowMs` before `evaluatedAtMs`. */
export function windowCounts(
  minutes: readonly MinuteCounts[],
  startMs: number,
  evaluatedAtMs: number,
  windowMs: number,
): { requests: number; errors: number; firstStartMs: number | null } {
  let requests = 0
  let errors = 0
  let firstStartMs: number | null = null
  for (const minute of minutes) {
    if (!isCompleteMinute(minute, startMs, evaluatedAtMs)) continue
    if (minute.startMs + MINUTE_MS <= evaluatedAtMs - windowMs) continue
    requests += minute.requests
    errors += minute.errors
    firstStartMs ??= minute.startMs
  }
  return { requests, errors, firstStartMs }
}
