import type { Sample } from '../math/sorted.ts'
import type { MetricPolicy } from '../policy/policy-types.ts'
import type { PairedBlock } from '../sequential/rate-ratio.ts'
import type { CohortSnapshot, MetricResult } from './judge-types.ts'

/** What every metric rule reads: both cohorts, the complete minutes and the error budget. */
export interface MetricContext {
  readonly baseline: CohortSnapshot
  readonly canary: CohortSnapshot
  /** Complete minutes of both cohorts, paired; null when the snapshots carry no minute counts. */
  readonly blocks: readonly PairedBlock[] | null
  /** Start of the analysis and the watermark (evaluation time less the ingest lag), epoch ms. */
  readonly startMs: number
  readonly watermarkMs: number
  /** Level of each rollback rule (α split across critical metrics and the budget guard). */
  readonly alphaRollback: number
  /** Level of each non-inferiority rule (an intersection-union test needs no split). */
  readonly alphaPromote: number
  /** The cohort's latency sample in ascending order, sorted once per verdict. */
  readonly sortedLatency: (cohort: 'baseline' | 'canary') => Sample
  /** A minute's latency sample in ascending order, sorted once per verdict. */
  readonly ascending: (sample: Sample) => Sample
  /**
   * The bucket edges of the cohort's latency sample, each list ascending, when its latency
   * comes from histogram buckets (`CohortSnapshot.latencyBucketsMs`); undefined otherwise.
   */
  readonly latencyEdges?: (cohort: 'baseline' | 'canary') => LatencyEdges | undefined
}

/** Lower and upper bucket edges of a latency sample, each in ascending order. */
export interface LatencyEdges {
  readonly lower: Sample
  readonly upper: Sample
}

/** A metric's result, and how much more data (as a multiple of today's) it needs to decide. */
export interface MetricEvaluation {
  readonly result: MetricResult
  /**
   * The multiple of the current data at which the rule would decide, computed on demand (only
   * `continue` verdicts need it): 1 when decided; null when the current effect sits too close
   * to the tolerance or there is no data.
   */
  readonly growthToDecide: () => number | null
  /** True when the estimate lies beyond the tolerance on the worse side. */
  readonly leaningWorse: boolean
}

/** The tolerance of a metric on the scale of its effect. */
export interface Margin {
  readonly scale: 'relative' | 'absolute'
  /** Signed: +r or +a when higher is worse, −r or −a when lower is worse. */
  readonly threshold: number
  /**
   * The absolute floor under a relative tolerance, signed like `threshold` (in the metric's
   * unit); 0 when there is none. The canary is worse only beyond both.
   */
  readonly floor: number
  readonly higherIsWorse: boolean
}

export function toMargin(metric: MetricPolicy): Margin {
  const higherIsWorse = metric.direction === 'higher'
  const sign = higherIsWorse ? 1 : -1
  const tolerance = metric.tolerance
  return 'relative' in tolerance
    ? {
        scale: 'relative',
        threshold: sign * tolerance.relative,
        floor:
          tolerance.absolute === undefined || tolerance.absolute === 0
            ? 0
            : sign * tolerance.absolute,
        higherIsWorse,
      }
    : { scale: 'absolute', threshold: sign * tolerance.absolute, floor: 0, higherIsWorse }
}

/** True when an effect lies beyond the tolerance on the worse side. */
export function isBeyond(effect: number | null, margin: Margin): boolean {
  if (effect === null) return false
  return margin.higherIsWorse ? effect > margin.threshold : effect < margin.threshold
}

/** Orders the bounds of an interval whose worse-side bound is `worse` and other side `better`. */
export function toInterval(
  worse: number | null,
  better: number | null,
  margin: Margin,
): readonly [number | null, number | null] {
  return margin.higherIsWorse ? [worse, better] : [better, worse]
}

const MAX_GROWTH = 1e4
const REFINE_STEPS = 10

/**
 * The smallest multiple k ≥ 1 of the current data at which `decidesAt(k)` holds (doubling, then
 * bisection on ln k to about 7%); null beyond ten thousand-fold.
 */
export function growthToDecide(decidesAt: (k: number) => boolean): number | null {
  if (decidesAt(1)) return 1
  let high = 2
  while (!decidesAt(high)) {
    high *= 2
    if (high > MAX_GROWTH) return null
  }
  let low = high / 2
  for (let step = 0; step < REFINE_STEPS; step++) {
    const middle = Math.sqrt(low * high)
    if (decidesAt(middle)) high = middle
    else low = middle
  }
  return high
}

/** A finite number, or null (JSON has no NaN or Infinity). */
export function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null
}

/** e^x for an e-value on the log scale, capped so that it stays a finite JSON number. */
export function toEValue(logE: number | null): number | null {
  if (logE === null || Number.isNaN(logE)) return null
  return Math.exp(Math.min(logE, 690))
}

/** min(1, 1/e), the anytime-valid p-value of an e-process. */
export function toPValue(logE: number | null): number | null {
  if (logE === null || Number.isNaN(logE)) return null
  return Math.min(1, Math.exp(-logE))
}
