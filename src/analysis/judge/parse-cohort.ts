import { RhError } from '../../errors.ts'
import type { CohortResult, CohortSnapshot, LatencyBuckets, MinuteCounts } from './judge-types.ts'

/**
 * Validates one cohort of an offline judge input (JSON): a {@link CohortSnapshot}, or
 * `{ "error": "..." }` to replay a failed store query. A cohort that served requests must carry
 * its per-minute counts (`minutes`, each optionally with its own `latencyMs` sample): pooled
 * totals never decide, since a ramping split makes them lie. `latencyMs` and `values` may be
 * left out.
 *
 * @throws RhError `RH_API_INVALID_REQUEST` naming the field path and the bad value.
 */
export function parseCohortResult(raw: unknown, path: string): CohortResult {
  const fields = asObject(raw, path)
  if (typeof fields.error === 'string') return { ok: false, error: fields.error }
  return { ok: true, data: parseCohortSnapshot(fields, path) }
}

export function parseCohortSnapshot(raw: unknown, path: string): CohortSnapshot {
  const fields = asObject(raw, path)
  const requests = count(fields.requests, `${path}.requests`)
  const errors = count(fields.errors, `${path}.errors`)
  if (errors > requests) invalid(`${path}.errors`, `at most requests (${requests})`, errors)
  const values =
    fields.values === undefined ? undefined : parseValues(fields.values, `${path}.values`)
  const minutes = parseMinutes(fields.minutes ?? [], `${path}.minutes`)
  if (requests > 0 && minutes.length === 0) {
    invalid(
      `${path}.minutes`,
      'per-minute counts when requests > 0 (pooled totals cannot be judged: a ramping split makes them lie)',
      fields.minutes,
    )
  }
  const latencyMs = numbers(fields.latencyMs ?? [], `${path}.latencyMs`, 0)
  const buckets =
    fields.latencyBucketsMs === undefined
      ? undefined
      : parseBuckets(fields.latencyBucketsMs, `${path}.latencyBucketsMs`, latencyMs.length)
  return {
    requests,
    errors,
    latencyMs,
    minutes,
    ...(values === undefined ? {} : { values }),
    ...(buckets === undefined ? {} : { latencyBucketsMs: buckets }),
  }
}

/** `{ lower, upper }` bucket edges of each latency value; null is an open edge (±∞). */
function parseBuckets(raw: unknown, path: string, length: number): LatencyBuckets {
  const fields = asObject(raw, path)
  const edges = (key: 'lower' | 'upper', open: number): number[] => {
    const list = fields[key]
    if (!Array.isArray(list) || list.length !== length) {
      invalid(`${path}.${key}`, `a list of ${length} edges, one per latencyMs value`, list)
    }
    return list.map((value: unknown, index) => {
      if (value === null) return open
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        invalid(`${path}.${key}[${index}]`, 'a finite number or null (open)', value)
      }
      return value
    })
  }
  return { lower: edges('lower', -Infinity), upper: edges('upper', Infinity) }
}

function parseMinutes(raw: unknown, path: string): MinuteCounts[] {
  if (!Array.isArray(raw)) invalid(path, 'a list of { startMs, requests, errors }', raw)
  let previous = -Infinity
  return raw.map((entry, index) => {
    const at = `${path}[${index}]`
    const fields = asObject(entry, at)
    const startMs = fields.startMs
    if (typeof startMs !== 'number' || !Number.isFinite(startMs))
      invalid(`${at}.startMs`, 'epoch milliseconds', startMs)
    if (startMs <= previous)
      invalid(`${at}.startMs`, 'after the previous minute (ascending order)', startMs)
    previous = startMs
    const requests = count(fields.requests, `${at}.requests`)
    const errors = count(fields.errors, `${at}.errors`)
    if (errors > requests) invalid(`${at}.errors`, `at most requests (${requests})`, errors)
    if (fields.latencyMs === undefined) return { startMs, requests, errors }
    return { startMs, requests, errors, latencyMs: numbers(fields.latencyMs, `${at}.latencyMs`, 0) }
  })
}

function parseValues(raw: unknown, path: string): Record<string, number[]> {
  const fields = asObject(raw, path)
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      numbers(value, `${path}.${key}`, -Infinity),
    ]),
  )
}

function numbers(raw: unknown, path: string, min: number): number[] {
  if (!Array.isArray(raw)) invalid(path, 'a list of numbers', raw)
  raw.forEach((value, index) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      invalid(`${path}[${index}]`, min === 0 ? 'a finite number >= 0' : 'a finite number', value)
    }
  })
  return raw as number[]
}

function count(raw: unknown, path: string): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0)
    invalid(path, 'an integer >= 0', raw)
  return raw
}

function asObject(raw: unknown, path: string): Readonly<Record<string, unknown>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid(path, 'an object', raw)
  return raw as Readonly<Record<string, unknown>>
}

function invalid(path: string, expected: string, value: unknown): never {
  const text = JSON.stringify(value) ?? String(value)
  throw new RhError(
    'RH_API_INVALID_REQUEST',
    `${path} must be ${expected}, got ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`,
  )
}
