import type { CohortSelector } from './analysis-definition.ts'

/** One service's canary in a release train. */
export interface TrainMember {
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  /**
   * The member's own policy (metrics, tolerances, SLO, durations), as the client sent it;
   * undefined: the service's template, or the train's policy. Its α is always the train's.
   */
  readonly policy?: unknown
}

/** A release train as stored: a change makes a new version, history is never edited. */
export interface TrainDefinition {
  readonly id: string
  readonly version: number
  readonly createdAtMs: number
  /** What people call the train, e.g. "release-42"; not unique. */
  readonly name: string
  /** The environment the train ships to ('' = every); members may name their own. */
  readonly environment: string
  readonly startMs: number
  readonly members: readonly TrainMember[]
  /**
   * The train's policy as the client sent it (validated): its `alpha` is the one error-control
   * level of the whole train, and its other fields apply to members without a policy.
   */
  readonly policy: unknown
}
