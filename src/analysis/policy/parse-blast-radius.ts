import { DEFAULT_POLICY } from './default-policy.ts'
import { parseMetric } from './parse-metric.ts'
import type { BlastRadiusPolicy, ErrorRateMetric, LatencyMetric } from './policy-types.ts'
import { fail, readBoolean, readNumber, readObject } from './policy-reader.ts'

const KEYS = ['enabled', 'rollback', 'maxServices', 'metrics']

/** More services than this cannot be judged in one analysis: their α shares would be tiny. */
const MAX_SERVICES = 64

/**
 * `blastRadius: { enabled, rollback, maxServices, metrics }`. `rollback: false` makes every
 * blast-radius metric non-critical (shown and blocking promotion, never rolling back) unless a
 * metric says `critical` itself; `metrics` replaces the defaults and takes error-rate and
 * latency metrics only (events are not on traces).
 */
export function parseBlastRadius(raw: unknown): BlastRadiusPolicy {
  const path = 'blastRadius'
  const fields = readObject(raw, path, KEYS)
  const defaults = DEFAULT_POLICY.blastRadius
  const enabled = readBoolean(fields, 'enabled', path, defaults.enabled)
  const rollback = readBoolean(fields, 'rollback', path, true)
  const maxServices = readNumber(fields, 'maxServices', path, defaults.maxServices, {
    min: 1,
    max: MAX_SERVICES,
    integer: true,
  })
  return { enabled, maxServices, metrics: parseMetrics(fields.metrics, rollback) }
}

function parseMetrics(raw: unknown, rollback: boolean): BlastRadiusPolicy['metrics'] {
  const path = 'blastRadius.metrics'
  if (raw === undefined)
    return DEFAULT_POLICY.blastRadius.metrics.map((metric) => ({ ...metric, critical: rollback }))
  if (!Array.isArray(raw) || raw.length === 0)
    fail(path, 'a non-empty list of error-rate and latency metrics', raw)
  const seen = new Set<string>()
  return (raw as readonly unknown[]).map((entry, index) => {
    const where = `${path}[${index}]`
    const explicit =
      typeof entry === 'object' && entry !== null && 'critical' in entry
        ? entry
        : { ...(entry as object), critical: rollback }
    const metric = parseMetric(explicit, where)
    if (metric.kind === 'numeric') fail(`${where}.kind`, '"error-rate" or "latency"', metric.kind)
    if (seen.has(metric.name)) fail(`${where}.name`, 'unique among the metrics', metric.name)
    seen.add(metric.name)
    return metric satisfies ErrorRateMetric | LatencyMetric
  })
}
