import type { MetricKind, MetricPolicy, Tolerance } from './policy-types.ts'
import {
  asFraction,
  fail,
  join,
  readBoolean,
  readChoice,
  readNumber,
  readObject,
  readString,
  type Fields,
} from './policy-reader.ts'

const KINDS: readonly MetricKind[] = ['error-rate', 'latency', 'numeric']

/** Observations per cohort before a metric can count as non-inferior, by kind. */
const DEFAULT_MIN_SAMPLES: Readonly<Record<MetricKind, number>> = {
  'error-rate': 1000,
  latency: 500,
  numeric: 200,
}

const COMMON_KEYS = ['name', 'kind', 'direction', 'tolerance', 'critical', 'minSamples']
const KEYS_BY_KIND: Readonly<Record<MetricKind, readonly string[]>> = {
  'error-rate': COMMON_KEYS,
  latency: [...COMMON_KEYS, 'quantile'],
  numeric: [...COMMON_KEYS, 'source', 'statistic'],
}

/** Validates one entry of `metrics`, filling its defaults. */
export function parseMetric(raw: unknown, path: string): MetricPolicy {
  const kind = readChoice(
    readObject(raw, path, [...KEYS_BY_KIND.numeric, 'quantile']),
    'kind',
    path,
    KINDS,
  )
  const fields = readObject(raw, path, KEYS_BY_KIND[kind])
  const name = readString(fields, 'name', path)
  const direction = readChoice(fields, 'direction', path, ['higher', 'lower'] as const, 'higher')
  const common = {
    name,
    direction,
    tolerance: parseTolerance(fields.tolerance, join(path, 'tolerance'), kind, direction),
    critical: readBoolean(fields, 'critical', path, true),
    minSamples: readNumber(fields, 'minSamples', path, DEFAULT_MIN_SAMPLES[kind], {
      min: 0,
      integer: true,
    }),
  }
  switch (kind) {
    case 'error-rate':
      return { ...common, kind }
    case 'latency':
      return {
        ...common,
        kind,
        quantile: readNumber(fields, 'quantile', path, 0.95, { above: 0, below: 1 }, asFraction),
      }
    case 'numeric':
      return {
        ...common,
        kind,
        source: readString(fields, 'source', path, name),
        statistic: readChoice(fields, 'statistic', path, ['mean', 'per-request'] as const, 'mean'),
      }
  }
}

/** `{ relative: 0.1 }`, `{ absolute: 20 }` or the shorthand `"10%"` (relative). */
function parseTolerance(
  raw: unknown,
  path: string,
  kind: MetricKind,
  direction: 'higher' | 'lower',
): Tolerance {
  if (raw === undefined) return { relative: kind === 'error-rate' ? 0.25 : 0.1 }
  const shorthand = typeof raw === 'string' ? asFraction(raw) : undefined
  const fields: Fields =
    shorthand !== undefined ? { relative: shorthand } : toleranceFields(raw, path)
  if (fields.relative !== undefined) {
    // A relative tolerance of 1 or more on a lower-is-worse metric would accept a canary at zero.
    const below = direction === 'lower' ? 1 : undefined
    const relative = readNumber(fields, 'relative', path, 0, {
      min: 0,
      ...(below === undefined ? {} : { below }),
    })
    return { relative }
  }
  // A numeric metric has no natural scale to bet on when its tolerance is zero.
  const absolute = readNumber(fields, 'absolute', path, 0, {
    ...(kind === 'numeric' ? { above: 0 } : { min: 0 }),
    ...(kind === 'error-rate' ? { below: 1 } : {}),
  })
  return { absolute }
}

function toleranceFields(raw: unknown, path: string): Fields {
  const fields = readObject(raw, path, ['relative', 'absolute'])
  const given = Object.keys(fields)
  if (given.length !== 1) {
    fail(
      path,
      'an object with exactly one of "relative" or "absolute", or a percentage such as "10%"',
      raw,
    )
  }
  return fields
}
