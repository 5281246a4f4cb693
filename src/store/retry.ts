/** Delays between attempts of a retried store write: ~4 s in all before giving up. */
export const WRITE_RETRY_DELAYS_MS = [100, 300, 900, 2_700] as const

/**
 * ClickHouse error codes that describe a passing condition on the server (load, a replica or
 * Keeper hiccup, a timeout): the same request may succeed later. Anything else — syntax,
 * unknown table, type mismatch — is a bug or bad data and is never retried.
 */
const RETRIABLE_CLICKHOUSE_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
])

const RETRIABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
])

/** Whether a failed store call may succeed when repeated unchanged. */
export function isRetriableStoreError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && RETRIABLE_CLICKHOUSE_CODES.has(code)) return true
  if (typeof code === 'string' && RETRIABLE_NETWORK_CODES.has(code)) return true
  const message = error instanceof Error ? error.message : ''
  if (/timeout|socket hang up/i.test(message)) return true
  return 'cause' in error && error.cause !== error && isRetriableStoreError(error.cause)
}

/**
 * ClickHouse error codes that mean the rows themselves were refused (a value that does not
 * parse or fit its column), so that the same rows will always fail and other rows would not.
 * Only these split a shared batch to find the request at fault; any other failure is the
 * store's state and is reported as retriable, so that no client drops data for it.
 */
const DATA_REFUSAL_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '33', // CANNOT_READ_ALL_DATA
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '190', // SIZES_OF_ARRAYS_DONT_MATCH
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '407', // DECIMAL_OVERFLOW
])

/** Whether a failed write was refused for its rows' values (see DATA_REFUSAL_CODES). */
export function isDataRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && DATA_REFUSAL_CODES.has(code)) return true
  return 'cause' in error && error.cause !== error && isDataRefusal(error.cause)
}

export interface RetryOptions {
  readonly delaysMs?: readonly number[]
  readonly isRetriable?: (error: unknown) => boolean
  readonly sleep?: (ms: number) => Promise<void>
  readonly onRetry?: (error: unknown, attempt: number) => void
}

/** Runs `operation`, repeating it after each delay while its failure is retriable. */
export async function withRetry<T>(
  operation: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const {
    delaysMs = WRITE_RETRY_DELAYS_MS,
    isRetriable = isRetriableStoreError,
    sleep = defaultSleep,
  } = options
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const delay = delaysMs[attempt]
      if (delay === undefined || !isRetriable(error)) throw error
      options.onRetry?.(error, attempt + 1)
      await sleep(delay)
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
