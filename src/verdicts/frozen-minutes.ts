import type { CohortResult, MinuteCounts } from '../analysis/index.ts'
import { toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'

const MINUTE_MS = 60_000

export type Cohort = 'baseline' | 'canary'

/** What arrived for a cohort's frozen minutes after they were frozen: counted in the audit only. */
export interface LateData {
  readonly minutes: number
  readonly requests: number
  readonly errors: number
}

/**
 * Where frozen minutes are kept across restarts and shared between replicas of the API (the
 * store's `frozen_minutes` table in production, {@link IN_MEMORY_ONLY} in tests that need no
 * store). A minute is used by the judge only once `save` has returned, so a restart reads back
 * exactly the counts and latency samples that earlier verdicts used.
 */
export interface FrozenMinutesStore {
  /** The minutes frozen so far for an analysis' cohort; for a minute saved twice, the first. */
  load(analysisId: string, cohort: Cohort): Promise<MinuteCounts[]>
  /**
   * Saves newly frozen minutes and answers what the store holds for them afterwards: when
   * another replica froze one of them first, its counts win, so that replicas agree.
   */
  save(
    analysisId: string,
    cohort: Cohort,
    minutes: readonly MinuteCounts[],
    frozenAtMs: number,
  ): Promise<readonly MinuteCounts[]>
}

/** Keeps nothing: after a restart minutes freeze again from the store's current data. */
export const IN_MEMORY_ONLY: FrozenMinutesStore = {
  load: () => Promise.resolve([]),
  save: (_analysisId, _cohort, minutes) => Promise.resolve(minutes),
}

/**
 * Freezes each analysis' minutes once they pass the watermark (their end plus the ingest-lag
 * allowance): the first counts and latency sample seen then are the ones every later verdict
 * uses, because the judge's e-processes require a used block never to change. Spans that
 * arrive later for a frozen minute are reported as late data (in the verdict document and the
 * log), never tested.
 */
export interface FrozenMinutes {
  /**
   * The cohort with its frozen minutes in place of the store's (totals adjusted), freezing the
   * minutes that passed `watermarkMs` since the last call, and what arrived late. When the
   * frozen minutes cannot be read or saved the cohort comes back as a failed query: a verdict
   * never uses a minute that a restart could see differently.
   */
  apply(
    analysisId: string,
    cohort: Cohort,
    result: CohortResult,
    /** The analysis' start, the watermark and the time now (the freezing time), epoch ms. */
    times: { readonly fromMs: number; readonly watermarkMs: number; readonly nowMs: number },
  ): Promise<{ result: CohortResult; late: LateData }>
}

/** The minutes that may be frozen: from the analysis' first minute to the watermark. */
interface Window {
  readonly firstMinuteMs: number
  readonly watermarkMs: number
}

export interface FrozenMinutesOptions {
  /** Analyses whose frozen minutes stay in memory; older ones are read again when needed. */
  readonly maxAnalyses: number
  readonly store?: FrozenMinutesStore
  readonly logger?: Logger
}

interface Entry {
  /** The frozen minutes by start, once read from the store. */
  readonly table: Promise<Map<number, MinuteCounts>>
  /** Calls for one analysis' cohort run one after the other (see `apply`). */
  queue: Promise<unknown>
}

const NONE: LateData = { minutes: 0, requests: 0, errors: 0 }

export function createFrozenMinutes(options: FrozenMinutesOptions): FrozenMinutes {
  const persisted = options.store ?? IN_MEMORY_ONLY
  const logger = options.logger ?? silentLogger
  const entries = new Map<string, Entry>()

  function forget(key: string, entry: Entry): void {
    if (entries.get(key) === entry) entries.delete(key)
  }

  function entryFor(analysisId: string, cohort: Cohort): Entry {
    const key = `${analysisId}:${cohort}`
    const existing = entries.get(key)
    if (existing !== undefined) return existing
    const table = persisted
      .load(analysisId, cohort)
      .then((minutes) => new Map(minutes.map((minute) => [minute.startMs, minute])))
    const entry: Entry = { table, queue: Promise.resolve() }
    // A failed read is not kept: the next verdict tries again.
    table.catch(() => forget(key, entry))
    entries.set(key, entry)
    // Maps iterate in insertion order: the oldest analyses go first.
    while (entries.size > 2 * options.maxAnalyses) {
      const oldest = entries.keys().next().value
      if (oldest === undefined) break
      entries.delete(oldest)
    }
    return entry
  }

  async function freeze(
    analysisId: string,
    cohort: Cohort,
    entry: Entry,
    result: CohortResult & { ok: true },
    window: Window,
    nowMs: number,
  ): Promise<{ result: CohortResult; late: LateData }> {
    const table = await entry.table
    const current = new Map(result.data.minutes.map((minute) => [minute.startMs, minute]))
    const fresh: MinuteCounts[] = []
    // Every minute up to the watermark, those without a span too: a minute the judge saw
    // empty must stay empty when late spans arrive for it.
    const end = window.watermarkMs - MINUTE_MS
    for (let startMs = window.firstMinuteMs; startMs <= end; startMs += MINUTE_MS) {
      if (!table.has(startMs))
        fresh.push(current.get(startMs) ?? { startMs, requests: 0, errors: 0 })
    }
    if (fresh.length > 0) {
      // Durable first, then used: a restart must read back what this verdict is about to use.
      const stored = await persisted.save(analysisId, cohort, fresh, nowMs)
      for (const minute of stored) table.set(minute.startMs, minute)
      // A store that answers without a minute it was given has not kept it: do not use it.
      const missing = fresh.find((minute) => !table.has(minute.startMs))
      if (missing !== undefined)
        throw new Error(`the store did not keep minute ${new Date(missing.startMs).toISOString()}`)
    }
    return substitute(result, current, table, window)
  }

  return {
    async apply(analysisId, cohort, result, { fromMs, watermarkMs, nowMs }) {
      if (!result.ok) return { result, late: NONE }
      const entry = entryFor(analysisId, cohort)
      // One at a time per analysis' cohort, so that two verdicts computed together (a live one
      // and a replay) cannot freeze the same minute with different counts.
      const window = { firstMinuteMs: Math.floor(fromMs / MINUTE_MS) * MINUTE_MS, watermarkMs }
      const run = entry.queue.then(() => freeze(analysisId, cohort, entry, result, window, nowMs))
      entry.queue = run.catch(() => undefined)
      try {
        return await run
      } catch (error) {
        // What reached the store is unknown: read it back before freezing again.
        forget(`${analysisId}:${cohort}`, entry)
        logger.warn({ analysisId, cohort, err: toMessage(error) }, 'frozen minutes unavailable')
        return {
          result: {
            ok: false,
            error: `the frozen minutes could not be read or saved: ${toMessage(error)}`,
          },
          late: NONE,
        }
      }
    },
  }
}

/**
 * The cohort with its frozen minutes as frozen (minutes frozen empty left out) and the minutes
 * after the watermark as the store returned them; totals and the latency sample follow.
 */
function substitute(
  result: CohortResult & { ok: true },
  current: ReadonlyMap<number, MinuteCounts>,
  table: ReadonlyMap<number, MinuteCounts>,
  window: Window,
): { result: CohortResult; late: LateData } {
  const isFrozen = (startMs: number): boolean =>
    startMs >= window.firstMinuteMs && startMs + MINUTE_MS <= window.watermarkMs
  let lateMinutes = 0
  let lateRequests = 0
  let lateErrors = 0
  const minutes: MinuteCounts[] = []
  for (const [startMs, kept] of table) {
    if (!isFrozen(startMs)) continue
    const now = current.get(startMs)
    const requests = now?.requests ?? 0
    const errors = now?.errors ?? 0
    if (requests !== kept.requests || errors !== kept.errors) {
      lateMinutes++
      lateRequests += requests - kept.requests
      lateErrors += errors - kept.errors
    }
    if (kept.requests > 0 || kept.latencyMs !== undefined) minutes.push(kept)
  }
  for (const minute of result.data.minutes) if (!isFrozen(minute.startMs)) minutes.push(minute)
  minutes.sort((a, b) => a.startMs - b.startMs)
  const sum = (list: readonly MinuteCounts[], field: 'requests' | 'errors'): number =>
    list.reduce((total, minute) => total + minute[field], 0)
  // Totals follow the minutes, so that late spans move no number the judge reads.
  const data = result.data
  const requests = data.requests - sum(data.minutes, 'requests') + sum(minutes, 'requests')
  const errors = data.errors - sum(data.minutes, 'errors') + sum(minutes, 'errors')
  const hasMinuteSamples = minutes.some((minute) => minute.latencyMs !== undefined)
  const latencyMs = hasMinuteSamples
    ? minutes.flatMap((minute) => Array.from(minute.latencyMs ?? []))
    : data.latencyMs
  return {
    result: { ok: true, data: { ...data, minutes, requests, errors, latencyMs } },
    late: { minutes: lateMinutes, requests: lateRequests, errors: lateErrors },
  }
}
