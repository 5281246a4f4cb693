import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { RhError, toMessage } from '../errors.ts'
import { DEFAULT_CONFIG, type Config } from './defaults.ts'
import { describeNumberRule, keepsNumberRule, numberRule } from './number-rules.ts'

export interface ResolveConfigOptions {
  /** Path of the YAML file; when absent, `release-health.yaml` is read if it exists. */
  readonly file?: string
  /** The environment to read `RH_*` variables from. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Highest-precedence overrides (command-line flags), as dotted keys. */
  readonly overrides?: Readonly<Record<string, unknown>>
}

const DEFAULT_FILE = 'release-health.yaml'

/**
 * Resolves the configuration once: defaults < file < `RH_*` environment < overrides.
 * Every key is validated against the type of its default; errors name the key and the value.
 * Environment names derive from the key path: `otlp.http.port` -> `RH_OTLP_HTTP_PORT`,
 * `clickhouse.dataPath` -> `RH_CLICKHOUSE_DATA_PATH`; lists are comma-separated.
 */
export function resolveConfig(options: ResolveConfigOptions = {}): Config {
  const fileValues = readConfigFile(options.file)
  const merged = mergeInto(structuredClone(DEFAULT_CONFIG), fileValues, '')
  applyEnvironment(merged, options.env ?? {}, '')
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(merged, key, value)
  return deepFreeze(merged)
}

/** `RH_` name of a dotted key. */
export function toEnvName(key: string): string {
  return (
    'RH_' +
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/\./g, '_')
      .toUpperCase()
  )
}

function readConfigFile(file: string | undefined): Record<string, unknown> {
  const path = file ?? DEFAULT_FILE
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (file === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new RhError('RH_CONFIG_INVALID', `cannot read config file ${path}: ${toMessage(error)}`)
  }
  let parsed: unknown
  try {
    parsed = parse(text)
  } catch (error) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config file ${path} is not valid YAML: ${toMessage(error)}`,
    )
  }
  if (parsed === null || parsed === undefined) return {}
  if (!isPlainObject(parsed)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config file ${path} must hold a mapping at the top level`,
    )
  }
  return parsed
}

function mergeInto<T extends Record<string, unknown>>(
  target: T,
  source: Record<string, unknown>,
  prefix: string,
): T {
  for (const [name, value] of Object.entries(source)) {
    const key = prefix + name
    if (!(name in target)) {
      throw new RhError('RH_CONFIG_INVALID', `unknown config key "${key}"`)
    }
    const current = target[name]
    if (isPlainObject(current)) {
      if (!isPlainObject(value)) {
        throw new RhError(
          'RH_CONFIG_INVALID',
          `config key "${key}" must be a mapping, got ${show(value)}`,
        )
      }
      mergeInto(current, value, key + '.')
    } else {
      ;(target as Record<string, unknown>)[name] = coerce(key, current, value)
    }
  }
  return target
}

function applyEnvironment(
  target: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
): void {
  for (const [name, current] of Object.entries(target)) {
    const key = prefix + name
    if (isPlainObject(current)) {
      applyEnvironment(current, env, key + '.')
      continue
    }
    const raw = env[toEnvName(key)]
    if (raw !== undefined) {
      target[name] = coerce(key, current, raw, `${key} (${toEnvName(key)})`)
    }
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  const last = parts.pop() as string
  let node: Record<string, unknown> = target
  for (const part of parts) {
    const next = node[part]
    if (!isPlainObject(next)) throw new RhError('RH_CONFIG_INVALID', `unknown config key "${key}"`)
    node = next
  }
  if (!(last in node)) throw new RhError('RH_CONFIG_INVALID', `unknown config key "${key}"`)
  node[last] = coerce(key, node[last], value)
}

/**
 * Converts `value` to the type of the default `current` (numbers by the key's rule in
 * number-rules.ts), or explains why it cannot. `label` names the key in errors.
 */
function coerce(key: string, current: unknown, value: unknown, label = key): unknown {
  if (typeof current === 'number') {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    const rule = numberRule(key)
    if (typeof number !== 'number' || !keepsNumberRule(number, rule)) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `config key "${label}" must be ${describeNumberRule(rule)}, got ${show(value)}`,
      )
    }
    return number
  }
  if (typeof current === 'boolean') {
    if (typeof value === 'boolean') return value
    if (value === 'true' || value === '1') return true
    if (value === 'false' || value === '0') return false
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "${label}" must be true or false, got ${show(value)}`,
    )
  }
  if (Array.isArray(current)) {
    const list =
      typeof value === 'string'
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
        : value
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw new RhError(
        'RH_CONFIG_INVALID',
        `config key "${label}" must be a list of strings, got ${show(value)}`,
      )
    }
    return list
  }
  if (typeof value !== 'string') {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "${label}" must be a string, got ${show(value)}`,
    )
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
