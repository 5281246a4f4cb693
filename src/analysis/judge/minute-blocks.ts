import type { PairedBlock } from '../sequential/rate-ratio.ts'
import type { CohortSnapshot, MinuteCounts } from './judge-types.ts'

export const MINUTE_MS = 60_000

/**
 * True when a minute ended at or before the watermark (the evaluation time less the ingest-lag
 * allowance) and started no earlier than the minute the analysis started in. Only such frozen
 * minutes enter the sequential products: a block must not change after it has been used, and
 * spans arrive late (exporter batching, Kafka lag), so a minute that has only just ended is
 * not complete yet.
 */
export function isCompleteMinute(
  minute: MinuteCounts,
  startMs: number,
  watermarkMs: number,
): boolean {
  return (
    minute.startMs >= Math.floor(startMs / MINUTE_MS) * MINUTE_MS &&
    minute.startMs + MINUTE_MS <= watermarkMs
  )
}

/**
 * The complete minutes of both cohorts paired by start time (a minute missing from one cohort
 * counts zero requests there), or null when a cohort that served requests carries no minute
 * counts: its pooled totals cannot be split into minutes, and pooled totals never decide.
 */
export function toPairedBlocks(
  baseline: CohortSnapshot,
  canary: CohortSnapshot,
  startMs: number,
  watermarkMs: number,
): PairedBlock[] | null {
  const lacksMinutes = (snapshot: CohortSnapshot): boolean =>
    snapshot.minutes.length === 0 && snapshot.requests > 0
  if (lacksMinutes(baseline) || lacksMinutes(canary)) return null
  const byStart = new Map<number, { b: MinuteCounts | undefined; c: MinuteCounts | undefined }>()
  for (const minute of baseline.minutes) {
    if (isCompleteMinute(minute, startMs, watermarkMs))
      byStart.set(minute.startMs, { b: minute, c: undefined })
  }
  for (const minute of canary.minutes) {
    if (!isCompleteMinute(minute, startMs, watermarkMs)) continue
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

/** Requests and errors of a cohort's complete minutes that end within `windowMs` before the watermark. */
export function windowCounts(
  minutes: readonly MinuteCounts[],
  startMs: number,
  watermarkMs: number,
  windowMs: number,
): { requests: number; errors: number; firstStartMs: number | null } {
  let requests = 0
  let errors = 0
  let firstStartMs: number | null = null
  for (const minute of minutes) {
    if (!isCompleteMinute(minute, startMs, watermarkMs)) continue
    if (minute.startMs + MINUTE_MS <= watermarkMs - windowMs) continue
    requests += minute.requests
    errors += minute.errors
    firstStartMs ??= minute.startMs
  }
  return { requests, errors, firstStartMs }
}
