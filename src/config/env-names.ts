import { DEFAULT_CONFIG } from './defaults.ts'
import { toEnvName } from './resolve-config.ts'

/** An `RH_*` variable that names no setting, and the known name it was most likely meant as. */
export interface UnknownEnvName {
  readonly name: string
  readonly suggestion: string | undefined
}

/** Variables of the test suite, never read by release-health itself. */
const TEST_PREFIX = 'RH_TEST_'

/**
 * Every `RH_*` name a config key answers to (`clickhouse.url` -> `RH_CLICKHOUSE_URL`), plus
 * `alsoKnown` (variables the CLI reads itself, such as `RH_LOG_LEVEL`).
 */
export function knownEnvNames(alsoKnown: readonly string[] = []): Set<string> {
  const names = new Set(alsoKnown)
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix + name
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, key + '.')
      } else {
        names.add(toEnvName(key))
      }
    }
  }
  walk(DEFAULT_CONFIG, '')
  return names
}

/**
 * `RH_*` variables set in `env` that nothing reads: a typo such as `RH_CLICKHOUSE_URI` would
 * otherwise be ignored silently and the default used instead. Sorted by name.
 */
export function findUnknownEnvNames(
  env: Readonly<Record<string, string | undefined>>,
  alsoKnown: readonly string[] = [],
): UnknownEnvName[] {
  const known = knownEnvNames(alsoKnown)
  return Object.keys(env)
    .filter((name) => name.startsWith('RH_') && !name.startsWith(TEST_PREFIX))
    .filter((name) => !known.has(name))
    .sort()
    .map((name) => ({ name, suggestion: closest(name, known) }))
}

/** The known name within a few edits of `name`, if one is clearly the intended one. */
function closest(name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 5)) + 1
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
