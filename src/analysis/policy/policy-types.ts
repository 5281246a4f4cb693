import type { DataSource } from './data-source.ts'

/** What a metric measures, and so which sequential rule judges it. */
export type MetricKind = 'error-rate' | 'latency' | 'numeric'

/** The direction in which a change is worse: `higher` for errors and latency. */
export type Direction = 'higher' | 'lower'

/**
 * The non-inferiority margin: how much worse the canary may be and still count as fine.
 * `relative` is a fraction of the baseline (0.1 = 10% worse), `absolute` is in the metric's
 * own unit (an error-rate fraction, milliseconds, the event value's unit). Both together make
 * an absolute floor under the relative tolerance: `{ relative: 0.25, absolute: 0.0005 }` is
 * "+25% or +0.05 percentage points, whichever is larger", so that a canary can be shown within
 * tolerance even when both cohorts have (almost) no errors.
 */
export type Tolerance =
  { readonly relative: number; readonly absolute?: number } | { readonly absolute: number }

interface MetricCommon {
  /** Unique name, shown in verdicts. */
  readonly name: string
  readonly direction: Direction
  readonly tolerance: Tolerance
  /** A critical metric that is worse beyond its tolerance rolls the canary back. */
  readonly critical: boolean
  /** Observations each cohort needs before the metric can count as non-inferior. */
  readonly minSamples: number
}

export interface ErrorRateMetric extends MetricCommon {
  readonly kind: 'error-rate'
}

export interface LatencyMetric extends MetricCommon {
  readonly kind: 'latency'
  /** The quantile compared, in (0, 1): 0.95 compares p95 latencies. */
  readonly quantile: number
}

export interface NumericMetric extends MetricCommon {
  readonly kind: 'numeric'
  /** Key of the event values in `CohortSnapshot.values`. */
  readonly source: string
  /** `mean` of the event values, or their sum `per-request` (a ratio metric). */
  readonly statistic: 'mean' | 'per-request'
}

export type MetricPolicy = ErrorRateMetric | LatencyMetric | NumericMetric

/** One pair of burn-rate windows after the SRE workbook's multiwindow alerts. */
export interface BurnWindow {
  readonly longSeconds: number
  readonly shortSeconds: number
  /** Burn rate at or above which the canary is burning its budget too fast. */
  readonly burnRate: number
}

export interface LatencySlo {
  /** Fraction of requests that must be faster than `thresholdMs`, e.g. 0.99. */
  readonly target: number
  readonly thresholdMs: number
}

/** A validated policy with every default applied; build one with `parsePolicy`. */
export interface Policy {
  /** The chance of a false rollback, and of a false promotion, over the whole analysis. */
  readonly alpha: number
  readonly analysis: {
    readonly minDurationSeconds: number
    readonly maxDurationSeconds: number
  }
  readonly metrics: readonly MetricPolicy[]
  readonly slo: {
    /** Fraction of requests that must succeed, e.g. 0.999. */
    readonly availability: number
    readonly latency: LatencySlo | null
  }
  readonly budget: {
    /** Roll back when the canary burns its error budget fast, before any comparison. */
    readonly guard: boolean
    readonly windows: readonly BurnWindow[]
  }
  /** The canary's expected share of the two cohorts' requests; null skips the sample-ratio check. */
  readonly expectedCanaryShare: number | null
  /** Other services on the traces through each cohort, judged as metrics of the analysis. */
  readonly blastRadius: BlastRadiusPolicy
  /** Where requests, errors and latency are read: entry spans, or an OTLP metric. */
  readonly source: DataSource
}

/**
 * The blast radius: how other services (callers and callees) fare on the requests that passed
 * through the canary against those that passed through the baseline, joined by trace id.
 */
export interface BlastRadiusPolicy {
  /** False: other services are not judged and no α is set aside for them. */
  readonly enabled: boolean
  /**
   * Other services judged at most: the first to appear on the traces, in order of appearance.
   * The α of the blast radius is split over this many services in advance, whatever appears.
   */
  readonly maxServices: number
  /** The rules applied to each service; a `critical` one may roll the canary back. */
  readonly metrics: readonly (ErrorRateMetric | LatencyMetric)[]
}
