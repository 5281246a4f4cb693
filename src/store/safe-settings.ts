import { createHash } from 'node:crypto'
import type { ClickHouseSettings } from '@clickhouse/client'
import { RhError } from '../errors.ts'

/**
 * The last line against SQL injection through ClickHouse settings. The embedded connection
 * (`chdb/connection`) sends each setting as `SET name = '<value>'` in front of the query text,
 * escaping `'` but not `\`, so a value holding `\'` ends the literal and whatever follows runs
 * as SQL. Values built from request data must therefore never reach a setting; this guard makes
 * sure nothing that could break out does, whatever a caller passes: a string value may hold
 * only letters, digits and `_ . : -`, so it is inert in any quoting.
 */
const SAFE_VALUE = /^[A-Za-z0-9_.:-]*$/
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Longer than any token this program builds; a longer value is a sign of something passed in. */
const MAX_VALUE_LENGTH = 256

/**
 * Returns `settings` unchanged when every name is an identifier and every value a finite
 * number, a boolean, or a short string of the safe alphabet; throws `RH_INTERNAL` otherwise
 * (a value from outside reached a setting: a bug, never retried, never echoed).
 */
export function assertSafeSettings<T extends ClickHouseSettings>(settings: T): T {
  for (const [name, value] of Object.entries(settings) as [string, unknown][]) {
    if (!SAFE_NAME.test(name)) throw refused(name, 'its name is not an identifier')
    if (value === undefined || typeof value === 'boolean') continue
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw refused(name, 'its value is not a finite number')
      continue
    }
    if (typeof value !== 'string') throw refused(name, `its value is a ${typeof value}`)
    if (value.length > MAX_VALUE_LENGTH || !SAFE_VALUE.test(value)) {
      throw refused(
        name,
        `its value holds characters outside [A-Za-z0-9_.:-] or is over ${MAX_VALUE_LENGTH} characters`,
      )
    }
  }
  return settings
}

/**
 * An `insert_deduplication_token` derived from its parts: `<kind>-<sha256 hex>`. The parts may
 * hold anything (names and text from requests); only their digest reaches the setting, and
 * JSON encoding keeps the parts apart, so `["a:b", "c"]` and `["a", "b:c"]` differ.
 */
export function toDeduplicationToken(kind: string, parts: readonly (string | number)[]): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new RhError(
      'RH_INTERNAL',
      `deduplication token kind ${JSON.stringify(kind)} is not a-z0-9-`,
    )
  }
  return `${kind}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`
}

function refused(name: string, why: string): RhError {
  // The value itself is left out: it may be what an attacker sent.
  return new RhError(
    'RH_INTERNAL',
    `refused ClickHouse setting ${JSON.stringify(name.slice(0, 64))}: ${why}`,
  )
}
