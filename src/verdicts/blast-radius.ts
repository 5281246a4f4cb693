import {
  RELATED_LAG_MS,
  type CohortSnapshot,
  type DataSource,
  type MinuteCounts,
  type RelatedResult,
  type RelatedRole,
  type RelatedService,
} from '../analysis/index.ts'
import { toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import type { CohortSelector } from './analysis-definition.ts'
import {
  BLAST_RADIUS_IN_MEMORY_ONLY,
  type BlastRadiusRow,
  type BlastRadiusSource,
  type FrozenBlastRadiusStore,
} from './blast-radius-source.ts'

const MINUTE_MS = 60_000
/** Minutes read from the spans at once: bounds the trace-id set a query holds. */
export const BLAST_RADIUS_CHUNK_MINUTES = 30

/** A canary whose blast radius is read: its service, cohorts and start. */
export interface BlastRadiusSubject {
  readonly service: string
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly startMs: number
  readonly latencySamplesPerMinute: number
  /**
   * The analysis' maximum duration: minutes after it are never read, so an analysis created
   * with a start long ago reads at most this much (not every minute since then).
   */
  readonly maxDurationMs: number
  /** Where its spans are read (the analysis' `policy.source`); undefined: the instance's default. */
  readonly source?: DataSource
}

/**
 * The blast radius of analyses, frozen minute by minute: a minute is read from the spans once
 * it is complete for the blast radius (ended `RELATED_LAG_MS` before the watermark, so that
 * callees' spans have arrived), written to the store, and from then on read only from there.
 * Each verdict thus reads only the minutes that became complete since the last one, and a used
 * minute never changes, as the judge's e-processes require.
 */
export interface BlastRadius {
  /**
   * The other services on the subject's traces up to the watermark, or a failed read (a value:
   * the judge must see it to refuse to promote).
   */
  related(
    key: string,
    subject: BlastRadiusSubject,
    times: { readonly watermarkMs: number; readonly nowMs: number },
  ): Promise<RelatedResult>
  /** The frozen rows of a key, for charts and reports; [] when there are none. */
  rows(key: string): Promise<readonly BlastRadiusRow[]>
}

export interface BlastRadiusOptions {
  readonly source: BlastRadiusSource
  readonly store?: FrozenBlastRadiusStore
  readonly logger?: Logger
  /** Keys whose frozen rows stay in memory; older ones are read again when needed. */
  readonly maxKeys?: number
}

interface Entry {
  /** Frozen rows by minute, once read from the store. */
  readonly table: Promise<Map<number, BlastRadiusRow[]>>
  queue: Promise<unknown>
}

export function createBlastRadius(options: BlastRadiusOptions): BlastRadius {
  const persisted = options.store ?? BLAST_RADIUS_IN_MEMORY_ONLY
  const logger = options.logger ?? silentLogger
  const maxKeys = options.maxKeys ?? 10_000
  const entries = new Map<string, Entry>()

  function entryFor(key: string): Entry {
    const existing = entries.get(key)
    if (existing !== undefined) return existing
    const table = persisted.load(key).then(byMinute)
    const entry: Entry = { table, queue: Promise.resolve() }
    table.catch(() => entries.get(key) === entry && entries.delete(key))
    entries.set(key, entry)
    while (entries.size > maxKeys) {
      const oldest = entries.keys().next().value
      if (oldest === undefined) break
      entries.delete(oldest)
    }
    return entry
  }

  async function freeze(
    key: string,
    entry: Entry,
    subject: BlastRadiusSubject,
    endMs: number,
    nowMs: number,
  ): Promise<Map<number, BlastRadiusRow[]>> {
    const table = await entry.table
    const firstMs = Math.floor(subject.startMs / MINUTE_MS) * MINUTE_MS
    for (const [fromMs, toMs] of missingRanges(table, firstMs, endMs)) {
      const fetched = await options.source.fetchBlastRadius({
        service: subject.service,
        environment: subject.environment,
        baseline: subject.baseline,
        canary: subject.canary,
        fromMs,
        toMs,
        latencySamplesPerMinute: subject.latencySamplesPerMinute,
        ...(subject.source === undefined ? {} : { source: subject.source }),
      })
      // Durable first, then used: a restart must read back what a verdict is about to use.
      const stored = await persisted.save(key, withTraceRows(fetched, fromMs, toMs), nowMs)
      for (const [startMs, rows] of byMinute(stored)) table.set(startMs, rows)
      for (let startMs = fromMs; startMs < toMs; startMs += MINUTE_MS) {
        if (!table.has(startMs))
          throw new Error(`the store did not keep minute ${new Date(startMs).toISOString()}`)
      }
    }
    return table
  }

  return {
    async related(key, subject, { watermarkMs, nowMs }) {
      // Minutes that ended RELATED_LAG_MS before the watermark are complete; none after the
      // analysis' maximum duration is read.
      const lastMs = Math.ceil((subject.startMs + subject.maxDurationMs) / MINUTE_MS) * MINUTE_MS
      const endMs = Math.min(
        lastMs,
        Math.floor((watermarkMs - RELATED_LAG_MS + MINUTE_MS) / MINUTE_MS) * MINUTE_MS,
      )
      const entry = entryFor(key)
      const run = entry.queue.then(() => freeze(key, entry, subject, endMs, nowMs))
      entry.queue = run.catch(() => undefined)
      try {
        return { ok: true, services: toRelated(await run, endMs) }
      } catch (error) {
        if (entries.get(key) === entry) entries.delete(key)
        logger.warn({ key, err: toMessage(error) }, 'blast radius unavailable')
        return { ok: false, error: `the blast radius could not be read: ${toMessage(error)}` }
      }
    },

    async rows(key) {
      const table = await entryFor(key).table
      return [...table.values()].flat()
    },
  }
}

/** [from, to) ranges of whole minutes in [firstMs, endMs) not frozen yet, each at most a chunk. */
export function missingRanges(
  table: ReadonlyMap<number, unknown>,
  firstMs: number,
  endMs: number,
): [number, number][] {
  const ranges: [number, number][] = []
  let open: number | undefined
  const close = (toMs: number): void => {
    if (open === undefined) return
    for (let fromMs = open; fromMs < toMs; fromMs += BLAST_RADIUS_CHUNK_MINUTES * MINUTE_MS)
      ranges.push([fromMs, Math.min(toMs, fromMs + BLAST_RADIUS_CHUNK_MINUTES * MINUTE_MS)])
    open = undefined
  }
  for (let startMs = firstMs; startMs < endMs; startMs += MINUTE_MS) {
    if (table.has(startMs)) close(startMs)
    else open ??= startMs
  }
  close(endMs)
  return ranges
}

/** Every minute gets its two traces rows, 0 when no trace entered: the mark that it is frozen. */
function withTraceRows(
  rows: readonly BlastRadiusRow[],
  fromMs: number,
  toMs: number,
): BlastRadiusRow[] {
  const present = new Set(
    rows.filter((row) => row.service === '').map((row) => `${row.startMs}:${row.cohort}`),
  )
  const marks: BlastRadiusRow[] = []
  for (let startMs = fromMs; startMs < toMs; startMs += MINUTE_MS) {
    for (const cohort of ['baseline', 'canary'] as const) {
      if (!present.has(`${startMs}:${cohort}`))
        marks.push({
          startMs,
          cohort,
          service: '',
          role: '',
          requests: 0,
          errors: 0,
          latencyMs: [],
        })
    }
  }
  return [...rows, ...marks]
}

function byMinute(rows: readonly BlastRadiusRow[]): Map<number, BlastRadiusRow[]> {
  const table = new Map<number, BlastRadiusRow[]>()
  for (const row of rows) {
    const list = table.get(row.startMs) ?? []
    list.push(row)
    table.set(row.startMs, list)
  }
  return table
}

/**
 * The judge's input from the frozen rows before `endMs`: each other service with its minutes
 * per cohort, and the role most of its requests had.
 */
export function toRelated(
  table: ReadonlyMap<number, readonly BlastRadiusRow[]>,
  endMs: number,
): RelatedService[] {
  interface Gathered {
    readonly baseline: MinuteCounts[]
    readonly canary: MinuteCounts[]
    readonly roles: Map<RelatedRole, number>
  }
  const services = new Map<string, Gathered>()
  const starts = [...table.keys()].filter((startMs) => startMs < endMs).sort((a, b) => a - b)
  for (const startMs of starts) {
    for (const row of table.get(startMs) ?? []) {
      if (row.service === '' || row.role === '') continue
      const entry: Gathered = services.get(row.service) ?? {
        baseline: [],
        canary: [],
        roles: new Map(),
      }
      entry[row.cohort].push({
        startMs,
        requests: row.requests,
        errors: row.errors,
        latencyMs: row.latencyMs,
      })
      entry.roles.set(row.role, (entry.roles.get(row.role) ?? 0) + row.requests)
      services.set(row.service, entry)
    }
  }
  return [...services.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, entry]) => ({
      service,
      role: mainRole(entry.roles),
      baseline: toSnapshot(entry.baseline),
      canary: toSnapshot(entry.canary),
    }))
}

function mainRole(roles: ReadonlyMap<RelatedRole, number>): RelatedRole {
  let best: RelatedRole = 'other'
  let most = -1
  for (const role of ['callee', 'caller', 'other'] as const) {
    const count = roles.get(role) ?? 0
    if (count > most) {
      best = role
      most = count
    }
  }
  return best
}

function toSnapshot(minutes: readonly MinuteCounts[]): CohortSnapshot {
  let requests = 0
  let errors = 0
  for (const minute of minutes) {
    requests += minute.requests
    errors += minute.errors
  }
  return { requests, errors, latencyMs: [], minutes }
}

/** "checkout 1.5.0", "search semantic-ranking=on", "search 3.1.0 semantic-ranking=on". */
export function toCanaryLabel(service: string, selector: CohortSelector): string {
  const parts = [service]
  if (selector.release !== undefined) parts.push(selector.release)
  if (selector.flag !== undefined) parts.push(`${selector.flag.key}=${selector.flag.variant}`)
  return parts.join(' ')
}
