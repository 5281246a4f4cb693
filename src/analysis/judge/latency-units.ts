import { toAscending, type Sample } from '../math/sorted.ts'
import { empiricalQuantile } from '../sequential/quantile-bounds.ts'
import type { CohortSnapshot, MinuteCounts } from './judge-types.ts'
import { isCompleteMinute } from './minute-blocks.ts'

/** One unit of the per-minute latency rule: both cohorts' quantile over the same minutes. */
export interface QuantileUnit {
  readonly canary: number
  readonly baseline: number
  /** Standard errors of the two quantiles under independent samples (order-statistic width). */
  readonly canaryError: number
  readonly baselineError: number
}

/** Latency samples a unit needs per cohort for a p-quantile: ten beyond it on the far side. */
export function minUnitSamples(p: number): number {
  return Math.ceil(10 / Math.min(p, 1 - p))
}

/**
 * The units of the per-minute latency rule: consecutive complete minutes (behind the
 * watermark) are grouped until each cohort has {@link minUnitSamples} latencies, and each group
 * gives both cohorts' empirical p-quantile. Grouping looks at sample counts only, never at the
 * latencies, so it cannot steer the test. `log` computes the standard errors on the log scale.
 * null when neither cohort carries per-minute samples.
 */
export function quantileUnits(
  baseline: CohortSnapshot,
  canary: CohortSnapshot,
  p: number,
  window: {
    readonly startMs: number
    readonly watermarkMs: number
    /** Sorts a minute's sample, once per verdict however many quantiles read it. */
    readonly ascending?: (sample: Sample) => Sample
  },
  log: boolean,
): QuantileUnit[] | null {
  const ascending = window.ascending ?? toAscending
  const hasSamples = (snapshot: CohortSnapshot): boolean =>
    snapshot.minutes.some((minute) => minute.latencyMs !== undefined)
  if (!hasSamples(baseline) && !hasSamples(canary)) return null
  const byStart = new Map<number, { b?: MinuteCounts; c?: MinuteCounts }>()
  for (const [key, snapshot] of [
    ['b', baseline],
    ['c', canary],
  ] as const) {
    for (const minute of snapshot.minutes) {
      if (!isCompleteMinute(minute, window.startMs, window.watermarkMs)) continue
      byStart.set(minute.startMs, { ...byStart.get(minute.startMs), [key]: minute })
    }
  }
  const need = minUnitSamples(p)
  const units: QuantileUnit[] = []
  let canarySamples: Sample[] = []
  let baselineSamples: Sample[] = []
  let canaryCount = 0
  let baselineCount = 0
  for (const start of [...byStart.keys()].sort((a, b) => a - b)) {
    const entry = byStart.get(start)
    const c0 = entry?.c?.latencyMs
    const b0 = entry?.b?.latencyMs
    if (c0 !== undefined && c0.length > 0) canarySamples.push(c0)
    if (b0 !== undefined && b0.length > 0) baselineSamples.push(b0)
    canaryCount += c0?.length ?? 0
    baselineCount += b0?.length ?? 0
    if (canaryCount < need || baselineCount < need) continue
    const c = joinAscending(canarySamples, ascending)
    const b = joinAscending(baselineSamples, ascending)
    units.push({
      canary: empiricalQuantile(c, p) as number,
      baseline: empiricalQuantile(b, p) as number,
      canaryError: standardError(c, p, log),
      baselineError: standardError(b, p, log),
    })
    canarySamples = []
    baselineSamples = []
    canaryCount = 0
    baselineCount = 0
  }
  return units
}

/** The samples of a unit's minutes in ascending order (one sorted minute is used as it is). */
function joinAscending(parts: readonly Sample[], ascending: (sample: Sample) => Sample): Sample {
  if (parts.length === 1) return ascending(parts[0] as Sample)
  const joined = new Float64Array(parts.reduce((total, part) => total + part.length, 0))
  let at = 0
  for (const part of parts) {
    joined.set(part, at)
    at += part.length
  }
  return joined.sort()
}

/**
 * The standard error of a sample quantile from the order statistics one binomial standard
 * deviation either side of rank np (half the distance between them), as in distribution-free
 * quantile intervals (e.g. Price & Bonett 2001, J. Stat. Comput. Simul. 68(3)).
 */
function standardError(ascending: Sample, p: number, log: boolean): number {
  const n = ascending.length
  const spread = Math.sqrt(n * p * (1 - p))
  const at = (rank: number): number => {
    const value = ascending[Math.min(n - 1, Math.max(0, Math.round(rank) - 1))] as number
    return log ? Math.log(Math.max(value, MIN_LATENCY_MS)) : value
  }
  return (at(n * p + spread) - at(n * p - spread)) / 2
}

/** Latencies are floored here before taking logs, so a 0 ms span does not give −∞. */
export const MIN_LATENCY_MS = 1e-3
