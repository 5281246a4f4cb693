import { RhError } from '../../errors.ts'
import { parseDurationSeconds, parseFraction } from './parse-duration.ts'

/** A parsed YAML/JSON object being validated. */
export type Fields = Readonly<Record<string, unknown>>

/** Throws the policy error for one field, naming its path and the bad value. */
export function fail(path: string, expected: string, value: unknown): never {
  throw new RhError(
    'RH_POLICY_INVALID',
    `policy.${path} must be ${expected}, got ${describe(value)}; fix the policy and retry`,
  )
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** The value as an object with only the allowed keys (null and undefined read as {}). */
export function readObject(value: unknown, path: string, allowed: readonly string[]): Fields {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) fail(path, 'an object', value)
  const fields = value as Fields
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      fail(
        `${path}.${key}`.replace(/^\./, ''),
        `one of the known keys (${allowed.join(', ')})`,
        key,
      )
    }
  }
  return fields
}

export interface NumberRule {
  readonly min?: number
  readonly max?: number
  /** Excludes `min` itself. */
  readonly above?: number
  /** Excludes `max` itself. */
  readonly below?: number
  readonly integer?: boolean
}

/** A finite number obeying the rule, read with `read` (plain, fraction or duration). */
export function readNumber(
  fields: Fields,
  key: string,
  path: string,
  fallback: number,
  rule: NumberRule,
  read: (value: unknown) => number | undefined = plainNumber,
): number {
  const raw = fields[key]
  if (raw === undefined) return fallback
  const value = read(raw)
  if (value === undefined || !obeys(value, rule))
    fail(join(path, key), describeRule(rule, read), raw)
  return value
}

export const asFraction = parseFraction
export const asDuration = parseDurationSeconds

function plainNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function obeys(value: number, rule: NumberRule): boolean {
  if (rule.integer === true && !Number.isInteger(value)) return false
  if (rule.min !== undefined && value < rule.min) return false
  if (rule.max !== undefined && value > rule.max) return false
  if (rule.above !== undefined && value <= rule.above) return false
  if (rule.below !== undefined && value >= rule.below) return false
  return true
}

function describeRule(rule: NumberRule, read: (value: unknown) => number | undefined): string {
  const kind =
    read === parseDurationSeconds
      ? 'a duration such as "90s", "10m", "2h" or a number of seconds'
      : read === parseFraction
        ? 'a fraction such as 0.999 or a percentage such as "99.9%"'
        : rule.integer === true
          ? 'an integer'
          : 'a number'
  const bounds = [
    rule.min !== undefined ? `>= ${rule.min}` : '',
    rule.above !== undefined ? `> ${rule.above}` : '',
    rule.max !== undefined ? `<= ${rule.max}` : '',
    rule.below !== undefined ? `< ${rule.below}` : '',
  ].filter((text) => text !== '')
  return bounds.length === 0 ? kind : `${kind} ${bounds.join(' and ')}`
}

export function readBoolean(fields: Fields, key: string, path: string, fallback: boolean): boolean {
  const raw = fields[key]
  if (raw === undefined) return fallback
  if (typeof raw !== 'boolean') fail(join(path, key), 'true or false', raw)
  return raw
}

export function readString(fields: Fields, key: string, path: string, fallback?: string): string {
  const raw = fields[key]
  if (raw === undefined && fallback !== undefined) return fallback
  if (typeof raw !== 'string' || raw.trim() === '') fail(join(path, key), 'a non-empty string', raw)
  return raw
}

export function readChoice<T extends string>(
  fields: Fields,
  key: string,
  path: string,
  choices: readonly T[],
  fallback?: T,
): T {
  const raw = fields[key]
  if (raw === undefined && fallback !== undefined) return fallback
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    fail(join(path, key), `one of ${choices.map((choice) => `"${choice}"`).join(', ')}`, raw)
  }
  return raw as T
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}
