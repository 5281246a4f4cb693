import type { MetricKind, Policy } from '../policy/policy-types.ts'

/** Request and error counts of one cohort in one minute. */
export interface MinuteCounts {
  /** Start of the minute, epoch milliseconds (aligned to the minute). */
  readonly startMs: number
  readonly requests: number
  readonly errors: number
  /**
   * The minute's latency sample (ms, any order), when the store keeps one per minute. The
   * latency rules use minutes (or groups of minutes) as units when it is there.
   */
  readonly latencyMs?: readonly number[] | Float64Array
}

/** One cohort's data from the analysis start up to the evaluation time. */
export interface CohortSnapshot {
  /** Entry-span (request) count. */
  readonly requests: number
  /** Failed requests. */
  readonly errors: number
  /**
   * A bounded uniform sample of request latencies in milliseconds, in any order; it may be
   * shorter than `requests`. The latency rule is anytime-valid when the sample grows with the
   * data (a fixed-fraction sample); a capped sample is covered look by look. A Float64Array
   * is accepted too, and a sample already in ascending order is not copied.
   */
  readonly latencyMs: readonly number[] | Float64Array
  /** Per-minute counts in ascending order; the sequential error-rate rule and burn windows use them. */
  readonly minutes: readonly MinuteCounts[]
  /** Values of generic numeric metrics (event values), by metric source name. */
  readonly values?: Readonly<Record<string, readonly number[]>>
  /**
   * When latency comes from histogram buckets (a metric source): for each value of
   * `latencyMs`, the range of the bucket it was counted in, as two lists of the same length
   * (lower and upper edges, in ms, any order; Infinity for an open last bucket). The latency
   * rule then bounds each quantile by bucket edges: the k-th smallest latency lies between the
   * k-th smallest lower edge and the k-th smallest upper edge, whatever the latencies inside
   * the buckets were, so the bounds stay valid and no difference smaller than a bucket is shown.
   */
  readonly latencyBucketsMs?: LatencyBuckets
}

/** Bucket edges of a latency sample (see `CohortSnapshot.latencyBucketsMs`). */
export interface LatencyBuckets {
  readonly lower: readonly number[] | Float64Array
  readonly upper: readonly number[] | Float64Array
}

/** One cohort's data, or why the store could not provide it. */
export type CohortResult =
  | { readonly ok: true; readonly data: CohortSnapshot }
  | { readonly ok: false; readonly error: string }

/**
 * Where another service sits on the traces through the canary's service: `caller` when its
 * request was open as the trace entered the canary's service, `callee` when its request started
 * inside the canary's service's request, `other` for the rest (a sibling call). A label for
 * people: the comparison does not depend on it.
 */
export type RelatedRole = 'caller' | 'callee' | 'other'

/**
 * Another service's requests (entry spans) on the traces that passed through each cohort of
 * the canary's service, joined by trace id. Each minute holds the requests of the traces that
 * entered the canary's service in that minute, so the minutes pair with the cohorts' own.
 */
export interface RelatedService {
  readonly service: string
  readonly role: RelatedRole
  /** Its requests on traces through the baseline. */
  readonly baseline: CohortSnapshot
  /** Its requests on traces through the canary. */
  readonly canary: CohortSnapshot
}

/** The blast radius's data, or why the store could not provide it. */
export type RelatedResult =
  | { readonly ok: true; readonly services: readonly RelatedService[] }
  | { readonly ok: false; readonly error: string }

export interface JudgeInput {
  readonly policy: Policy
  readonly baseline: CohortResult
  readonly canary: CohortResult
  /**
   * The blast radius: other services on the traces through each cohort. Left out, the blast
   * radius is not judged and no α is set aside for it (an offline judgement of two cohorts).
   * Whether it is given must not depend on the data, since it changes the α split.
   */
  readonly related?: RelatedResult
  /**
   * The fraction of the policy's α this judgement may spend on rollbacks, in (0, 1]; default 1.
   * A release train gives each member its share so that the train as a whole keeps α
   * (src/analysis/train/judge-train.ts).
   */
  readonly alphaShare?: number
  /** What the canary is, for sentences: "checkout 1.5.0". Default "the canary". */
  readonly canaryLabel?: string
  /** Start of the analysis, epoch milliseconds. */
  readonly startMs: number
  /** The time the verdict is for; the snapshots hold data up to it. */
  readonly evaluatedAtMs: number
  /**
   * The ingest-lag allowance: a minute enters the tests only once it ended at least this long
   * before `evaluatedAtMs` (the watermark), so that late spans have arrived and a used minute
   * never changes. Default 0.
   */
  readonly ingestLagMs?: number
}

export type Decision = 'promote' | 'continue' | 'rollback' | 'inconclusive'

/**
 * Where one metric stands: `worse` beyond its tolerance (with the evidence the policy
 * requires), `non-inferior` (shown within tolerance), `pending` (not enough evidence or
 * samples yet), `no-data` (a cohort has no observations for it).
 */
export type MetricDecision = 'worse' | 'non-inferior' | 'pending' | 'no-data'

/** What a metric's per-minute units showed about the spread of the data. */
export interface DispersionReport {
  /** Units (complete minutes, or groups of minutes) with data from both cohorts. */
  readonly units: number
  /**
   * The units' variance over the variance that independent requests (or latency samples)
   * would give them: about 1 without extra dispersion, larger when noise hits a cohort's whole
   * minute. null: not measurable yet.
   */
  readonly factor: number | null
  /** True when the exact per-request rule counted alongside the per-unit rule. */
  readonly exactAllowed: boolean
}

/** One cohort's side of a metric. */
export interface CohortEstimate {
  /** Observations the metric used: requests, latency samples or events. */
  readonly n: number
  /** The cohort's statistic: error rate, latency quantile (ms), mean or per-request value. */
  readonly estimate: number | null
  /** Error-rate metrics: failed requests. */
  readonly errors?: number
  /** Latency metrics: anytime-valid bounds on this cohort's quantile (ms). */
  readonly lower?: number | null
  readonly upper?: number | null
  /** Numeric metrics: standard deviation of the event values. */
  readonly standardDeviation?: number | null
}

export interface MetricResult {
  readonly name: string
  /** Set on blast-radius metrics: the other service judged, and where it sits. */
  readonly blastRadius?: { readonly service: string; readonly role: RelatedRole }
  readonly kind: MetricKind
  readonly critical: boolean
  readonly decision: MetricDecision
  /** The decision rule, with its reference in the source. */
  readonly test: string
  readonly baseline: CohortEstimate
  readonly canary: CohortEstimate
  /**
   * Canary against baseline: ratio − 1 (`relative`) or difference (`absolute`). For error rates
   * with a relative tolerance the ratio is stratified by minute (Mantel-Haenszel), the quantity
   * the sequential test bounds.
   */
  readonly effect: number | null
  readonly effectScale: 'relative' | 'absolute'
  /**
   * Anytime-valid confidence bounds on the effect: the bound on the worse side at the
   * rollback level, the other at the promote level. null: unbounded so far.
   */
  readonly interval: readonly [number | null, number | null]
  /** The tolerance on the effect scale (signed: +0.25 for higher-is-worse, −0.1 for lower). */
  readonly threshold: number
  /**
   * The absolute floor under a relative tolerance, in the metric's unit and signed like
   * `threshold` (+0.0005: "or +0.05 percentage points, whichever is larger"); 0 when none.
   */
  readonly floor: number
  /** The rule that decided (`worse` or `non-inferior`), null while pending. */
  readonly decidedBy: string | null
  /** The spread the per-minute units showed; null for rules without units. */
  readonly dispersion: DispersionReport | null
  /** Evidence that the canary is worse beyond the tolerance (e-value), when the rule has one. */
  readonly eValue: number | null
  /** Anytime-valid p-value of "worse beyond tolerance"; compare with `alpha.rollback`. */
  readonly pValue: number | null
  /** Evidence that the canary is within the tolerance (e-value), when the rule has one. */
  readonly nonInferiorityEValue: number | null
  readonly alpha: { readonly rollback: number; readonly promote: number }
  /** What the numbers mean, in one sentence. */
  readonly sentence: string
}

export interface BurnWindowReport {
  /** Window lengths after scaling to the analysis. */
  readonly longSeconds: number
  readonly shortSeconds: number
  readonly burnRateLimit: number
  readonly canary: { readonly longBurnRate: number | null; readonly shortBurnRate: number | null }
  readonly baseline: { readonly longBurnRate: number | null; readonly shortBurnRate: number | null }
  /** Evidence the canary burns faster than the limit over the long window. */
  readonly eValue: number | null
  /** The baseline burns at or above the limit over the long window too: not the canary's doing. */
  readonly baselineBurning: boolean
  /** The baseline's query failed or it served no requests in the long window: the guard cannot trip. */
  readonly baselineMissing: boolean
  /** Evidence the baseline burns below the limit over the long window; the guard needs it to trip. */
  readonly baselineBelowEValue: number | null
  /** Evidence the canary burns below the limit over the whole analysis; promotion needs it. */
  readonly belowEValue: number | null
  /** `belowEValue` reached 1/α: the canary may promote as far as this window is concerned. */
  readonly belowEvident: boolean
  readonly tripped: boolean
}

export interface CohortBudget {
  /** Error rate / (1 − availability SLO) over the analysis. */
  readonly burnRate: number | null
  /** Share of the error budget of the analysis period left: 1 − burn rate (negative: overspent). */
  readonly budgetRemaining: number | null
  /** Same for the latency SLO (from the latency sample), when one is set. */
  readonly latencyBurnRate: number | null
  readonly latencyBudgetRemaining: number | null
}

export interface BudgetReport {
  readonly slo: Policy['slo']
  /** The canary's burn rate over the analysis. */
  readonly burnRate: number | null
  /** The canary's remaining budget over the analysis. */
  readonly budgetRemaining: number | null
  readonly canary: CohortBudget
  readonly baseline: CohortBudget
  readonly windows: readonly BurnWindowReport[]
  readonly guard: { readonly enabled: boolean; readonly tripped: boolean; readonly alpha: number }
}

export interface SampleRatioReport {
  readonly expectedCanaryShare: number
  readonly observedCanaryShare: number | null
  readonly eValue: number
  readonly mismatch: boolean
}

/** What the blast radius covered: the services seen on the traces and which were judged. */
export interface BlastRadiusReport {
  /** Services judged at most (`blastRadius.maxServices`). */
  readonly maxServices: number
  /** The α of each blast-radius rollback rule: the blast radius's share over services × rules. */
  readonly alphaPerRule: number
  /** Every other service seen on the traces, in order of appearance. */
  readonly services: readonly {
    readonly service: string
    readonly role: RelatedRole
    /** False beyond `maxServices`: shown, not judged. */
    readonly judged: boolean
    /** Its requests on traces through each cohort, over the complete minutes. */
    readonly baselineRequests: number
    readonly canaryRequests: number
    /** The first complete minute it appeared in, epoch ms. */
    readonly firstSeenMs: number
  }[]
  /** Why the blast radius could not be read, or null. */
  readonly error: string | null
}

/** What a `continue` verdict is waiting for. */
export type Missing =
  | { readonly kind: 'duration'; readonly haveSeconds: number; readonly needSeconds: number }
  | {
      readonly kind: 'samples'
      readonly metric: string
      readonly cohort: 'baseline' | 'canary'
      readonly have: number
      readonly need: number
    }
  | { readonly kind: 'evidence'; readonly metric: string }
  | { readonly kind: 'data'; readonly cohort: 'baseline' | 'canary'; readonly error: string }
  | { readonly kind: 'blast-radius'; readonly error: string }

/** The judge's answer. JSON-serialisable; every number is finite or null. */
export interface Verdict {
  readonly decision: Decision
  /** Human sentences, the most important first. */
  readonly reasons: readonly string[]
  readonly elapsedSeconds: number
  readonly metrics: readonly MetricResult[]
  readonly budget: BudgetReport
  readonly sampleRatio: SampleRatioReport | null
  /** The other services judged on the canary's traces; null when the blast radius is not judged. */
  readonly blastRadius: BlastRadiusReport | null
  readonly missing: readonly Missing[]
  /** For `continue`: seconds until a decision at the current traffic and effects (at most until maxDuration). */
  readonly estimatedSecondsToDecision: number | null
  readonly alpha: {
    readonly total: number
    /**
     * Level of each rollback rule: critical metrics, the budget guard and the blast radius
     * (as one rule, split further over its services) share `total` times the judgement's share.
     */
    readonly rollbackPerRule: number
    readonly promote: number
  }
}
