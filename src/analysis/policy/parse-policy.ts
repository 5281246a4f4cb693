import { DEFAULT_POLICY } from './default-policy.ts'
import { parseBlastRadius } from './parse-blast-radius.ts'
import { parseMetric } from './parse-metric.ts'
import { parseSource } from './parse-source.ts'
import type { BurnWindow, LatencySlo, MetricPolicy, Policy } from './policy-types.ts'
import {
  asDuration,
  asFraction,
  fail,
  join,
  readBoolean,
  readNumber,
  readObject,
  type Fields,
} from './policy-reader.ts'

const POLICY_KEYS = [
  'alpha',
  'analysis',
  'metrics',
  'slo',
  'budget',
  'expectedSplit',
  'expectedCanaryShare',
  'blastRadius',
  'source',
]

/**
 * Validates a policy parsed from YAML or JSON and applies the defaults of {@link DEFAULT_POLICY}
 * to everything left out (`{}` and `null` give the default policy; a `metrics` list replaces
 * the default metrics). Durations are written `"10m"`, `"2h"` or as seconds; fractions as
 * `0.999` or `"99.9%"`. The result is frozen, and parsing it again gives an equal policy.
 *
 * @throws RhError `RH_POLICY_INVALID` naming the field path and the bad value.
 */
export function parsePolicy(raw: unknown): Policy {
  const fields = readObject(raw, '', POLICY_KEYS)
  const policy: Policy = {
    alpha: readNumber(fields, 'alpha', '', DEFAULT_POLICY.alpha, { above: 0, max: 0.5 }),
    analysis: parseAnalysis(fields.analysis),
    metrics: parseMetrics(fields.metrics),
    slo: parseSlo(fields.slo),
    budget: parseBudget(fields.budget),
    expectedCanaryShare: parseSplit(fields),
    blastRadius: parseBlastRadius(fields.blastRadius),
    source: parseSource(fields.source),
  }
  assertLatencySource(policy)
  return freeze(policy)
}

/** A metric source without a latency histogram cannot feed latency metrics or a latency SLO. */
function assertLatencySource(policy: Policy): void {
  if (policy.source.kind !== 'metrics' || policy.source.latency !== null) return
  const index = policy.metrics.findIndex((metric) => metric.kind === 'latency')
  if (index >= 0) {
    fail(
      `metrics[${index}]`,
      'no latency metric when source.latency is null (name a histogram in source.latency, or list metrics without latency ones)',
      policy.metrics[index]?.name,
    )
  }
  if (policy.slo.latency !== null) {
    fail('slo.latency', 'left out when source.latency is null', policy.slo.latency)
  }
}

function parseAnalysis(raw: unknown): Policy['analysis'] {
  const path = 'analysis'
  const fields = readObject(raw, path, [
    'minDuration',
    'maxDuration',
    'minDurationSeconds',
    'maxDurationSeconds',
  ])
  const defaults = DEFAULT_POLICY.analysis
  const min = readDuration(fields, 'minDuration', path, defaults.minDurationSeconds, { min: 0 })
  const max = readDuration(
    fields,
    'maxDuration',
    path,
    Math.max(min, defaults.maxDurationSeconds),
    {
      above: 0,
    },
  )
  if (max < min) fail(join(path, 'maxDuration'), `at least minDuration (${min} s)`, max)
  return { minDurationSeconds: min, maxDurationSeconds: max }
}

/** Reads `key` as a duration, or `keySeconds` as a number of seconds. */
function readDuration(
  fields: Fields,
  key: string,
  path: string,
  fallback: number,
  rule: { min?: number; above?: number },
): number {
  const secondsKey = `${key}Seconds`
  if (fields[key] !== undefined && fields[secondsKey] !== undefined) {
    fail(join(path, secondsKey), `left out when ${key} is given`, fields[secondsKey])
  }
  if (fields[secondsKey] !== undefined) return readNumber(fields, secondsKey, path, fallback, rule)
  return readNumber(fields, key, path, fallback, rule, asDuration)
}

function parseMetrics(raw: unknown): readonly MetricPolicy[] {
  if (raw === undefined) return DEFAULT_POLICY.metrics
  if (!Array.isArray(raw) || raw.length === 0) fail('metrics', 'a non-empty list of metrics', raw)
  const metrics = raw.map((entry, index) => parseMetric(entry, `metrics[${index}]`))
  const seen = new Set<string>()
  metrics.forEach((metric, index) => {
    if (seen.has(metric.name))
      fail(`metrics[${index}].name`, 'unique among the metrics', metric.name)
    seen.add(metric.name)
  })
  return metrics
}

function parseSlo(raw: unknown): Policy['slo'] {
  const fields = readObject(raw, 'slo', ['availability', 'latency'])
  const availability = readNumber(
    fields,
    'availability',
    'slo',
    DEFAULT_POLICY.slo.availability,
    { above: 0, below: 1 },
    asFraction,
  )
  return { availability, latency: parseLatencySlo(fields.latency) }
}

function parseLatencySlo(raw: unknown): LatencySlo | null {
  if (raw === undefined || raw === null) return DEFAULT_POLICY.slo.latency
  const path = 'slo.latency'
  const fields = readObject(raw, path, ['target', 'thresholdMs'])
  if (fields.target === undefined) fail(join(path, 'target'), 'a fraction such as 0.99', undefined)
  if (fields.thresholdMs === undefined) fail(join(path, 'thresholdMs'), 'a number > 0', undefined)
  return {
    target: readNumber(fields, 'target', path, 0, { above: 0, below: 1 }, asFraction),
    thresholdMs: readNumber(fields, 'thresholdMs', path, 0, { above: 0 }),
  }
}

function parseBudget(raw: unknown): Policy['budget'] {
  const fields = readObject(raw, 'budget', ['guard', 'windows'])
  const guard = readBoolean(fields, 'guard', 'budget', DEFAULT_POLICY.budget.guard)
  if (fields.windows === undefined) return { guard, windows: DEFAULT_POLICY.budget.windows }
  if (!Array.isArray(fields.windows))
    fail('budget.windows', 'a list of burn-rate windows', fields.windows)
  const windows = fields.windows.map((entry, index) =>
    parseWindow(entry, `budget.windows[${index}]`),
  )
  return { guard, windows }
}

function parseWindow(raw: unknown, path: string): BurnWindow {
  const fields = readObject(raw, path, ['long', 'short', 'longSeconds', 'shortSeconds', 'burnRate'])
  for (const key of ['long', 'short', 'burnRate']) {
    if (fields[key] === undefined && fields[`${key}Seconds`] === undefined) {
      fail(
        join(path, key),
        key === 'burnRate' ? 'a number > 0' : 'a duration such as "1h"',
        undefined,
      )
    }
  }
  const longSeconds = readDuration(fields, 'long', path, 0, { min: 60 })
  const shortSeconds = readDuration(fields, 'short', path, 0, { min: 60 })
  if (shortSeconds > longSeconds)
    fail(join(path, 'short'), `at most long (${longSeconds} s)`, shortSeconds)
  const burnRate = readNumber(fields, 'burnRate', path, 0, { above: 0 })
  return { longSeconds, shortSeconds, burnRate }
}

/** `expectedSplit: { canary: 10, baseline: 90 }` (weights) or `expectedCanaryShare: 0.1`. */
function parseSplit(fields: Fields): number | null {
  if (fields.expectedSplit !== undefined && fields.expectedCanaryShare !== undefined) {
    fail('expectedCanaryShare', 'left out when expectedSplit is given', fields.expectedCanaryShare)
  }
  if (fields.expectedCanaryShare !== undefined && fields.expectedCanaryShare !== null) {
    return readNumber(fields, 'expectedCanaryShare', '', 0, { above: 0, below: 1 }, asFraction)
  }
  if (fields.expectedSplit === undefined || fields.expectedSplit === null) return null
  const path = 'expectedSplit'
  const split = readObject(fields.expectedSplit, path, ['canary', 'baseline'])
  const canary = readNumber(split, 'canary', path, Number.NaN, { above: 0 }, asFraction)
  const baseline = readNumber(split, 'baseline', path, Number.NaN, { above: 0 }, asFraction)
  if (Number.isNaN(canary) || Number.isNaN(baseline)) {
    fail(
      path,
      'an object with both "canary" and "baseline" weights, e.g. { canary: 10, baseline: 90 }',
      split,
    )
  }
  return canary / (canary + baseline)
}

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) freeze(child)
    Object.freeze(value)
  }
  return value
}
