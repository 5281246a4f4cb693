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

/**
 * Floor under a relative error-rate tolerance when the policy gives none: 0.05 percentage
 * points, so that a canary with (almost) no errors, next to a baseline with none, can promote.
 */
export const DEFAULT_ERROR_RATE_FLOOR = 0.0005

/**
 * `{ relative: 0.1 }`, `{ absolute: 20 }`, both (`{ relative: 0.25, absolute: 0.0005 }`: the
 * absolute value is a floor under the relative one, "whichever is larger") or the shorthand
 * `"10%"` (relative). A relative error-rate tolerance without `absolute` gets the floor
 * {@link DEFAULT_ERROR_RATE_FLOOR}; `absolute: 0` turns it off. Numeric metrics take one kind.
 */
function parseTolerance(
  raw: unknown,
  path: string,
  kind: MetricKind,
  direction: 'higher' | 'lower',
): Tolerance {
  const defaultFloor = kind === 'error-rate' ? DEFAULT_ERROR_RATE_FLOOR : 0
  if (raw === undefined) return withFloor(kind === 'error-rate' ? 0.25 : 0.1, defaultFloor)
  const shorthand = typeof raw === 'string' ? asFraction(raw) : undefined
  const fields: Fields =
    shorthand !== undefined ? { relative: shorthand } : toleranceFields(raw, path, kind)
  const absolute =
    fields.absolute === undefined
      ? undefined
      : readNumber(fields, 'absolute', path, 0, {
          // A numeric metric has no natural scale to bet on when its tolerance is zero.
          ...(kind === 'numeric' ? { above: 0 } : { min: 0 }),
          ...(kind === 'error-rate' ? { below: 1 } : {}),
        })
  if (fields.relative !== undefined) {
    // A relative tolerance of 1 or more on a lower-is-worse metric would accept a canary at zero.
    const below = direction === 'lower' ? 1 : undefined
    const relative = readNumber(fields, 'relative', path, 0, {
      min: 0,
      ...(below === undefined ? {} : { below }),
    })
    return withFloor(relative, absolute ?? defaultFloor)
  }
  return { absolute: absolute ?? 0 }
}

function withFloor(relative: number, floor: number): Tolerance {
  return floor > 0 ? { relative, absolute: floor } : { relative }
}

function toleranceFields(raw: unknown, path: string, kind: MetricKind): Fields {
  const fields = readObject(raw, path, ['relative', 'absolute'])
  const given = Object.keys(fields)
  const most = kind === 'numeric' ? 1 : 2
  if (given.length < 1 || given.length > most) {
    fail(
      path,
      kind === 'numeric'
        ? 'an object with exactly one of "relative" or "absolute", or a percentage such as "10%"'
        : 'an object with "relative", "absolute" or both (an absolute floor under the relative tolerance), or a percentage such as "10%"',
      raw,
    )
  }
  return fields
}
