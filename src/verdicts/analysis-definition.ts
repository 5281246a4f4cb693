import type { DataSource } from '../analysis/policy/data-source.ts'

/** Which telemetry belongs to a cohort: a release, a flag variant, or a flag variant of a release. */
export interface CohortSelector {
  readonly release?: string
  readonly flag?: { readonly key: string; readonly variant: string }
}

/** An analysis as stored: a new policy makes a new version, history is never edited. */
export interface AnalysisDefinition {
  readonly id: string
  readonly version: number
  readonly createdAtMs: number
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly startMs: number
  /** The policy as the client sent it (validated); defaults are applied when judging. */
  readonly policy: unknown
}

/** What the store is asked for one cohort over one window. */
export interface CohortQuery {
  readonly service: string
  readonly environment: string
  readonly selector: CohortSelector
  /** Inclusive start, exclusive end, epoch milliseconds. */
  readonly fromMs: number
  readonly toMs: number
  /**
   * Latency samples taken from each complete minute at most (a deterministic subset beyond
   * that). A complete minute's sample changes only when late spans arrive for it, and the
   * verdict service freezes it once used, so the sample only grows as the analysis runs,
   * which the judge's sequential latency rule relies on.
   */
  readonly latencySamplesPerMinute: number
  /**
   * Sources of the policy's numeric metrics: release events whose values (or, for
   * `outcome:<name>`, failure indicators) go to `CohortSnapshot.values` under the source.
   */
  readonly valueSources?: readonly string[]
  /** Where requests, errors and latency are read (the policy's `source`); spans when left out. */
  readonly source?: DataSource
}
