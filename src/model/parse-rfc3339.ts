const SECONDS_PER_DAY = 86_400
/** The latest DateTime64(9) nanosecond (2^63 − 1) as seconds and fraction: 2262-04-11T23:47:16.854775807Z. */
const LAST_SECOND = 9_223_372_036
const LAST_NANOS = 854_775_807

/** A date-time read by {@link parseRfc3339Bytes}: whole seconds since the epoch and nanoseconds. */
export interface EpochTime {
  seconds: number
  /** 0 to 999,999,999. */
  nanos: number
}

/**
 * Nanoseconds since the Unix epoch of an RFC 3339 date-time (`2026-11-22T10:00:00.123456789Z`,
 * `2026-11-22T11:00:00+01:00`), exact to the nanosecond, or undefined when the text is not
 * one or names a day that does not exist. Leap seconds (`:60`) are refused, as JavaScript's
 * clock has none.
 */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const time = { seconds: 0, nanos: 0 }
  if (!parseRfc3339(text.length, (at) => text.charCodeAt(at), time)) return undefined
  return BigInt(time.seconds) * 1_000_000_000n + BigInt(time.nanos)
}

/**
 * {@link parseRfc3339Nanos} as decimal text, for times from 1970 up to the last nanosecond a
 * DateTime64(9) holds (undefined outside), without a bigint.
 */
export function parseRfc3339NanosText(text: string): string | undefined {
  const time = { seconds: 0, nanos: 0 }
  if (!parseRfc3339(text.length, (at) => text.charCodeAt(at), time)) return undefined
  const { seconds, nanos } = time
  if (seconds < 0 || seconds > LAST_SECOND || (seconds === LAST_SECOND && nanos > LAST_NANOS)) {
    return undefined
  }
  return seconds === 0 ? String(nanos) : `${seconds}${String(nanos).padStart(9, '0')}`
}

/**
 * {@link parseRfc3339Nanos} of the ASCII text `bytes[start, end)`, read into `into` without
 * making a string: the Kafka workers read one per release event. False when it is not one.
 */
export function parseRfc3339Bytes(
  bytes: Uint8Array,
  start: number,
  end: number,
  into: EpochTime,
): boolean {
  return parseRfc3339(end - start, (at) => bytes[start + at]!, into)
}

/**
 * Seconds since the epoch and nanoseconds of an RFC 3339 date-time of `length` characters,
 * whose character codes `code` gives, read character by character (a regular expression and
 * a Date cost several times more, and release events carry one each). Days are counted with
 * Howard Hinnant's days-from-civil algorithm
 * (https://howardhinnant.github.io/date_algorithms.html#days_from_civil).
 */
function parseRfc3339(length: number, code: (at: number) => number, into: EpochTime): boolean {
  if (length < 20) return false
  const year = digits(code, 0, 4)
  const month = digits(code, 5, 2)
  const day = digits(code, 8, 2)
  const hour = digits(code, 11, 2)
  const minute = digits(code, 14, 2)
  const second = digits(code, 17, 2)
  const separator = code(10)
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    code(4) !== DASH ||
    code(7) !== DASH ||
    (separator !== 0x54 && separator !== 0x74 && separator !== 0x20) ||
    code(13) !== COLON ||
    code(16) !== COLON
  ) {
    return false
  }
  let at = 19
  let nanos = 0
  if (code(at) === DOT) {
    let end = at + 1
    while (end < length && isDigit(code(end))) end++
    const count = end - at - 1
    if (count < 1 || count > 9) return false
    nanos = digits(code, at + 1, count) * 10 ** (9 - count)
    at = end
  }
  let offsetMinutes = 0
  const zone = at < length ? code(at) : -1
  if (zone === 0x5a || zone === 0x7a) {
    if (at + 1 !== length) return false
  } else if (zone === PLUS || zone === DASH) {
    if (at + 6 !== length || code(at + 3) !== COLON) return false
    const offsetHours = digits(code, at + 1, 2)
    const offsetRest = digits(code, at + 4, 2)
    if (offsetHours < 0 || offsetHours > 23 || offsetRest < 0 || offsetRest > 59) return false
    offsetMinutes = (zone === DASH ? -1 : 1) * (offsetHours * 60 + offsetRest)
  } else {
    return false
  }
  into.seconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY +
    hour * 3600 +
    minute * 60 +
    second -
    offsetMinutes * 60
  into.nanos = nanos
  return true
}

const DASH = 0x2d
const COLON = 0x3a
const DOT = 0x2e
const PLUS = 0x2b

/** The decimal number of `count` digits at `start`, or -1 when they are not all digits. */
function digits(code: (at: number) => number, start: number, count: number): number {
  let value = 0
  for (let i = start; i < start + count; i++) {
    const digit = code(i)
    if (!isDigit(digit)) return -1
    value = value * 10 + (digit - 0x30)
  }
  return value
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}
