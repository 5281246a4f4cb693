import type { DataSource, RelatedRole } from '../analysis/index.ts'
import type { CohortSelector } from './analysis-definition.ts'

/** What the store is asked for a canary's blast radius over whole minutes. */
export interface BlastRadiusQuery {
  /** The canary's service. */
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  /** Whole minutes: traces entering the canary's service in [fromMs, toMs), epoch ms. */
  readonly fromMs: number
  readonly toMs: number
  /** Latency samples kept per minute, cohort and service. */
  readonly latencySamplesPerMinute: number
  /**
   * Where the spans are read: the analysis' `policy.source`, as for its own cohorts; undefined:
   * the instance's default.
   */
  readonly source?: DataSource
}

/**
 * One row of the blast radius: another service's requests on one cohort's traces in one
 * minute, or (service '') the number of traces that entered the canary's service through the
 * cohort in that minute, in `requests`.
 */
export interface BlastRadiusRow {
  readonly startMs: number
  readonly cohort: 'baseline' | 'canary'
  /** The other service; '' for the row counting the cohort's traces. */
  readonly service: string
  readonly role: RelatedRole | ''
  readonly requests: number
  readonly errors: number
  readonly latencyMs: readonly number[]
}

/** Where the verdict service reads the blast radius: the store's trace join. */
export interface BlastRadiusSource {
  fetchBlastRadius(query: BlastRadiusQuery): Promise<BlastRadiusRow[]>
}

/**
 * Where the blast radius's frozen minutes are kept (the store's `blast_radius_minutes`
 * table): written once per minute, so that a restart and every replica read the rows the
 * judge used.
 */
export interface FrozenBlastRadiusStore {
  /** Every frozen row of an analysis (or train member); for a row saved twice, the first. */
  load(key: string): Promise<BlastRadiusRow[]>
  /**
   * Saves the rows of newly frozen minutes (every minute with its two traces rows) and answers
   * what the store holds for those minutes afterwards: another replica's rows win.
   */
  save(key: string, rows: readonly BlastRadiusRow[], frozenAtMs: number): Promise<BlastRadiusRow[]>
}

/** Keeps nothing: after a restart minutes freeze again from the store's data. */
export const BLAST_RADIUS_IN_MEMORY_ONLY: FrozenBlastRadiusStore = {
  load: () => Promise.resolve([]),
  save: (_key, rows) => Promise.resolve([...rows]),
}
