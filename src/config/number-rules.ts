/**
 * What each numeric config key may hold, beyond "a number". Every numeric key is a count, a
 * size in bytes, a port or a duration in whole milliseconds, seconds or days, so each must be a
 * whole number; the keys below must also be at least 1, because 0 would stall or starve
 * the process rather than switch something off:
 * `otlp.maxConcurrentDecodes` 0 left every admitted request waiting for a decode turn forever,
 * `otlp.maxInFlightBytes` 0 let one request in at a time, `kafka.maxBatchRows` 0 wrote one
 * message per insert. Keys where 0 means something (`decodeThreads` 0 = decode on the main thread,
 * `api.verdictCacheMs` 0 = no cache, ports 0 = any free port) are left out of it.
 */

export interface NumberRule {
  /** The smallest value allowed. */
  readonly min: number
  /** The largest value allowed. */
  readonly max: number
}

const AT_LEAST_ONE: NumberRule = { min: 1, max: Number.MAX_SAFE_INTEGER }
const ANY_WHOLE: NumberRule = { min: 0, max: Number.MAX_SAFE_INTEGER }
const PORT: NumberRule = { min: 0, max: 65_535 }

const RULES: Readonly<Record<string, NumberRule>> = {
  'clickhouse.requestTimeoutMs': AT_LEAST_ONE,
  'clickhouse.ttlDays': AT_LEAST_ONE,
  'otlp.http.port': PORT,
  'otlp.http.maxBodyBytes': AT_LEAST_ONE,
  'otlp.grpc.port': PORT,
  'otlp.grpc.maxMessageBytes': AT_LEAST_ONE,
  'otlp.flagEvaluations.linkIntervalMs': AT_LEAST_ONE,
  'otlp.maxAttributesPerSpan': AT_LEAST_ONE,
  'otlp.maxInFlightBytes': AT_LEAST_ONE,
  'otlp.maxConcurrentDecodes': AT_LEAST_ONE,
  'otlp.targetLatencyMs': AT_LEAST_ONE,
  'api.port': PORT,
  'writer.maxBatchRows': AT_LEAST_ONE,
  'writer.maxQueuedRows': AT_LEAST_ONE,
  'sql.maxExecutionSeconds': AT_LEAST_ONE,
  'sql.maxResultRows': AT_LEAST_ONE,
  'sql.maxMemoryBytes': AT_LEAST_ONE,
  'kafka.maxBatchRows': AT_LEAST_ONE,
  'kafka.maxBufferedRows': AT_LEAST_ONE,
  'kafka.maxMessageBytes': AT_LEAST_ONE,
  'kafka.fetchMaxBytesPerPartition': AT_LEAST_ONE,
  'kafka.sessionTimeoutMs': AT_LEAST_ONE,
  'kafka.heartbeatIntervalMs': AT_LEAST_ONE,
  'kafka.shutdownTimeoutMs': AT_LEAST_ONE,
  'kafka.sasl.oauthTokenRefreshSeconds': AT_LEAST_ONE,
  'kafka.http.port': PORT,
}

/** The keys with a rule of their own (a test holds each to a numeric default). */
export const KEYS_WITH_NUMBER_RULES: readonly string[] = Object.keys(RULES)

/** The rule of a numeric key (dotted path): a whole number of at least 0 unless listed above. */
export function numberRule(key: string): NumberRule {
  return RULES[key] ?? ANY_WHOLE
}

/** "a whole number of at least 1", "a whole number from 0 to 65535", for error messages. */
export function describeNumberRule(rule: NumberRule): string {
  if (rule.max === Number.MAX_SAFE_INTEGER) return `a whole number of at least ${rule.min}`
  return `a whole number from ${rule.min} to ${rule.max}`
}

/** Whether `value` keeps `rule`. */
export function keepsNumberRule(value: number, rule: NumberRule): boolean {
  return Number.isInteger(value) && value >= rule.min && value <= rule.max
}
