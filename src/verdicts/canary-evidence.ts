import {
  judgesBlastRadius,
  type CohortResult,
  type Policy,
  type RelatedResult,
} from '../analysis/index.ts'
import type { Logger } from '../logger.ts'
import type { CohortSelector } from './analysis-definition.ts'
import type { BlastRadius } from './blast-radius.ts'
import type { CohortSource } from './cohort-source.ts'
import { createFrozenMinutes, type FrozenMinutesStore, type LateData } from './frozen-minutes.ts'

/** One canary whose evidence is gathered: a single analysis, or one member of a train. */
export interface CanarySubject {
  /** Where its frozen minutes are kept: the analysis id, or `<train id>.<member index>`. */
  readonly key: string
  readonly service: string
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly startMs: number
}

/** What the judge needs about one canary at one time, with the minutes frozen in place. */
export interface CanaryEvidence {
  readonly baseline: CohortResult
  readonly canary: CohortResult
  /** The blast radius; undefined when the policy does not judge it (or nothing reads it). */
  readonly related: RelatedResult | undefined
  readonly late: { readonly baseline: LateData; readonly canary: LateData }
  readonly watermarkMs: number
  /** End of the window read: the evaluation time, never before the start. */
  readonly toMs: number
}

export interface CanaryEvidenceOptions {
  readonly cohorts: CohortSource
  readonly now: () => number
  readonly logger: Logger
  readonly ingestLagMs: number
  /** Latency samples per cohort at most over an analysis' whole maximum duration. */
  readonly maxLatencySamples: number
  readonly maxKeys: number
  readonly frozenMinutes?: FrozenMinutesStore
  readonly blastRadius?: BlastRadius
}

export interface CanaryEvidenceReader {
  read(subject: CanarySubject, policy: Policy, evaluatedAtMs: number): Promise<CanaryEvidence>
}

/** Even a very long analysis samples this many latencies per minute and cohort. */
const MIN_SAMPLES_PER_MINUTE = 50
const MINUTE_MS = 60_000

/**
 * Reads a canary's cohorts and blast radius up to a time and freezes the minutes that passed
 * the watermark: the one path by which single analyses and release-train members get their
 * data, so that both are judged from the same frozen minutes.
 */
export function createCanaryEvidence(options: CanaryEvidenceOptions): CanaryEvidenceReader {
  const frozen = createFrozenMinutes({
    maxAnalyses: options.maxKeys,
    logger: options.logger,
    ...(options.frozenMinutes === undefined ? {} : { store: options.frozenMinutes }),
  })
  return {
    async read(subject, policy, evaluatedAtMs) {
      const toMs = Math.max(subject.startMs, evaluatedAtMs)
      const query = {
        service: subject.service,
        environment: subject.environment,
        fromMs: subject.startMs,
        toMs,
        latencySamplesPerMinute: Math.max(
          MIN_SAMPLES_PER_MINUTE,
          Math.ceil(options.maxLatencySamples / Math.ceil(policy.analysis.maxDurationSeconds / 60)),
        ),
        valueSources: policy.metrics.flatMap((metric) =>
          metric.kind === 'numeric' ? [metric.source] : [],
        ),
        source: policy.source,
      }
      const fetched = await Promise.all([
        options.cohorts.fetchCohort({ ...query, selector: subject.baseline }),
        options.cohorts.fetchCohort({ ...query, selector: subject.canary }),
      ])
      const watermarkMs = evaluatedAtMs - options.ingestLagMs
      const times = { fromMs: subject.startMs, watermarkMs, nowMs: options.now() }
      // Minutes are frozen up to the analysis' maximum duration, as the blast radius is read;
      // later ones are used as the store returns them. Freezing every empty minute up to the
      // watermark made a verdict of an analysis started in 1970 walk 29 million minutes.
      const maxDurationMs = policy.analysis.maxDurationSeconds * 1000
      const freezing = {
        ...times,
        watermarkMs: Math.min(
          watermarkMs,
          Math.ceil((subject.startMs + maxDurationMs) / MINUTE_MS) * MINUTE_MS,
        ),
      }
      const blastRadius = options.blastRadius
      const [baseline, canary, related] = await Promise.all([
        frozen.apply(subject.key, 'baseline', fetched[0], freezing),
        frozen.apply(subject.key, 'canary', fetched[1], freezing),
        blastRadius !== undefined && judgesBlastRadius(policy.blastRadius)
          ? blastRadius.related(
              subject.key,
              {
                ...subject,
                latencySamplesPerMinute: query.latencySamplesPerMinute,
                maxDurationMs,
                ...(policy.source === undefined ? {} : { source: policy.source }),
              },
              times,
            )
          : undefined,
      ])
      return {
        baseline: baseline.result,
        canary: canary.result,
        related,
        late: { baseline: baseline.late, canary: canary.late },
        watermarkMs,
        toMs,
      }
    },
  }
}
