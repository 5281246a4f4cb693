import { median, sum } from 'simple-statistics'
import { SERIES_COLORS } from '../api/ui/charts.js'
import type { VerdictRecord } from '../store/analyses-repository.ts'
import type { EventSeries } from '../store/event-cohort-queries.ts'
import type { ChangePoint, SeriesPoint } from '../store/series-queries.ts'
import type { AnalysisDefinition } from '../verdicts/analysis-definition.ts'
import type { BlastRadiusRow } from '../verdicts/blast-radius-source.ts'

/** Everything a report shows, gathered once; rendering is a pure function of it. */
export interface ReportModel {
  /** What the report covers, as a sentence: "analysis 6f0c… of checkout" or "checkout, …". */
  readonly scope: string
  readonly service: string
  /** Empty: every environment. */
  readonly environment: string
  readonly fromMs: number
  readonly toMs: number
  readonly generatedAtMs: number
  readonly version: string
  /** Releases and flag variants first seen in the window, oldest first. */
  readonly changes: readonly ChangePoint[]
  /** The service's requests by release, minute by minute, over the window. */
  readonly releases: ReadonlyMap<string, readonly SeriesPoint[]>
  /** Flag variants' series, keyed by `changeKey`, for the flag changes in the window. */
  readonly flagSeries: ReadonlyMap<string, readonly SeriesPoint[]>
  readonly analyses: readonly AnalysisReport[]
  /** For a release-train report: the train and its own verdicts (its members are `analyses`). */
  readonly train?: TrainReport
}

export interface TrainReport {
  readonly id: string
  readonly name: string
  /** The train's recorded verdicts, oldest first; each body holds its causes and members. */
  readonly verdicts: readonly VerdictRecord[]
}

export interface AnalysisReport {
  readonly analysis: AnalysisDefinition
  /** Recorded evaluations, oldest first. */
  readonly verdicts: readonly VerdictRecord[]
  readonly baseline: readonly SeriesPoint[]
  readonly canary: readonly SeriesPoint[]
  /** Each cohort's release events by name, minute by minute (empty without events). */
  readonly baselineEvents: readonly EventSeries[]
  readonly canaryEvents: readonly EventSeries[]
  /** Other services on the canary's traces, minute by minute, as the judge froze them. */
  readonly blastRadius?: readonly BlastRadiusRow[]
}

/** Requests and errors over a stretch of minutes. */
export interface StretchStats {
  readonly requests: number
  readonly errors: number
  /** null without requests. */
  readonly errorRate: number | null
  /** The median of the minutes' p95 latencies: quantiles of minutes cannot be merged exactly. */
  readonly typicalP95Ms: number | null
}

/** A stable key for a change, e.g. to find a flag variant's series. */
export function changeKey(change: ChangePoint): string {
  return change.kind === 'release'
    ? `release:${change.release}`
    : `flag:${change.flagKey}=${change.flagVariant}`
}

/** What a change is, in a few words: "release 1.5.0" or "flag new-checkout=on". */
export function describeChange(change: ChangePoint): string {
  return change.kind === 'release'
    ? `release ${change.release}`
    : `flag ${change.flagKey}=${change.flagVariant}`
}

/** Every release's minutes added up: the service as its users saw it. Latency is left out. */
export function totalByMinute(
  releases: ReadonlyMap<string, readonly SeriesPoint[]>,
): SeriesPoint[] {
  const byMinute = new Map<number, { requests: number; errors: number }>()
  for (const points of releases.values()) {
    for (const point of points) {
      const total = byMinute.get(point.startMs) ?? { requests: 0, errors: 0 }
      total.requests += point.requests
      total.errors += point.errors
      byMinute.set(point.startMs, total)
    }
  }
  return [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([startMs, total]) => ({ startMs, ...total, p50Ms: null, p95Ms: null, p99Ms: null }))
}

/** The minutes in [fromMs, toMs) summed up. */
export function stretchStats(
  points: readonly SeriesPoint[],
  fromMs: number,
  toMs: number,
): StretchStats {
  const inside = points.filter((point) => point.startMs >= fromMs && point.startMs < toMs)
  const requests = sum(inside.map((point) => point.requests))
  const errors = sum(inside.map((point) => point.errors))
  const p95s = inside
    .map((point) => point.p95Ms)
    .filter((value): value is number => value !== null && Number.isFinite(value))
  return {
    requests,
    errors,
    errorRate: requests === 0 ? null : errors / requests,
    typicalP95Ms: p95s.length === 0 ? null : median(p95s),
  }
}

/**
 * One colour per release for the whole report, in the order the releases are listed, so that
 * a release looks the same in the service charts, the close-ups and the analyses.
 */
export function releaseColors(
  releases: ReadonlyMap<string, readonly SeriesPoint[]>,
): ReadonlyMap<string, string> {
  return new Map(
    [...releases.keys()].map((release, index) => [
      release,
      SERIES_COLORS[index % SERIES_COLORS.length] ?? '#0072b2',
    ]),
  )
}
