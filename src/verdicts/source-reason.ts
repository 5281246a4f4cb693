import type { Verdict } from '../analysis/index.ts'
import type { DataSource, MetricSelector } from '../analysis/policy/data-source.ts'

/**
 * The verdict with a last reason saying where its requests, errors and latency came from when
 * that is a metric rather than spans, and what histogram buckets mean for latency.
 */
export function withSourceReason(verdict: Verdict, source: DataSource): Verdict {
  if (source.kind !== 'metrics') return verdict
  const errors =
    source.errors.kind === 'metric'
      ? `errors from ${describe(source.errors)}`
      : `errors are its points with ${source.errors.statusAttribute} >= ${source.errors.minStatus}` +
        (source.errors.errorTypeAttribute === ''
          ? ''
          : ` or with ${source.errors.errorTypeAttribute} set`)
  const latency =
    source.latency === null
      ? 'no latency'
      : `latency from the buckets of ${describe(source.latency)}, so each quantile is known only to within its bucket`
  return {
    ...verdict,
    reasons: [
      ...verdict.reasons,
      `Read from OTLP metrics, not spans: requests are the per-minute increase of ${describe(source.requests)}; ${errors}; ${latency}.`,
    ],
  }
}

function describe(selector: MetricSelector): string {
  const where = Object.entries(selector.where).map(([key, value]) => `${key}=${value}`)
  return `${selector.metric}${where.length === 0 ? '' : ` where ${where.join(', ')}`}`
}
