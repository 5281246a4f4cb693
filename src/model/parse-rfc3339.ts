const SECONDS_PER_DAY = 86_400
/** The latest DateTime64(9) nanosecond (2^63 − 1) as seconds and fraction: 2262-04-11T23:47:16.854775807Z. */
const LAST_SECOND = 9_223_372_036
const LAST_SECOND_FRACTION = '854775807'

/**
 * Nanoseconds since the Unix epoch of an RFC 3339 date-time (`2026-11-22T10:00:00.123456789Z`,
 * `2026-11-22T11:00:00+01:00`), exact to the nanosecond, or undefined when the text is not
 * one or names a day that does not exist. Leap seconds (`:60`) are refused, as JavaScript's
 * clock has none.
 */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const parsed = parseRfc3339(text)
  if (parsed === undefined) return undefined
  return BigInt(parsed.seconds) * 1_000_000_000n + BigInt(parsed.fraction)
}

/**
 * {@link parseRfc3339Nanos} as decimal text, for times from 1970 up to the last nanosecond a
 * DateTime64(9) holds (undefined outside), without a bigint: the ingest of release events
 * reads one per event.
 */
export function parseRfc3339NanosText(text: string): string | undefined {
  const parsed = parseRfc3339(text)
  if (parsed === undefined || parsed.seconds < 0) return undefined
  const { seconds, fraction } = parsed
  if (seconds > LAST_SECOND || (seconds === LAST_SECOND && fraction > LAST_SECOND_FRACTION)) {
    return undefined
  }
  return seconds === 0 ? String(Number(fraction)) : `${seconds}${fraction}`
}

/**
 * Seconds since the epoch and the nine fraction digits of an RFC 3339 date-time, read
 * character by character (a regular expression and a Date cost several times more, and release
 * events carry one each). Days are counted with Howard Hinnant's days-from-civil algorithm
 * (https://howardhinnant.github.io/date_algorithms.html#days_from_civil).
 */
function parseRfc3339(text: string): { seconds: number; fraction: string } | undefined {
  const length = text.length
  if (length < 20) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  const separator = text.charCodeAt(10)
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
    text[4] !== '-' ||
    text[7] !== '-' ||
    (separator !== 0x54 && separator !== 0x74 && separator !== 0x20) ||
    text[13] !== ':' ||
    text[16] !== ':'
  ) {
    return undefined
  }
  let at = 19
  let fraction = '000000000'
  if (text[at] === '.') {
    let end = at + 1
    while (end < length && isDigit(text.charCodeAt(end))) end++
    const count = end - at - 1
    if (count < 1 || count > 9) return undefined
    fraction = text.slice(at + 1, end).padEnd(9, '0')
    at = end
  }
  let offsetMinutes = 0
  const zone = text[at]
  if (zone === 'Z' || zone === 'z') {
    if (at + 1 !== length) return undefined
  } else if (zone === '+' || zone === '-') {
    if (at + 6 !== length || text[at + 3] !== ':') return undefined
    const offsetHours = digits(text, at + 1, 2)
    const offsetRest = digits(text, at + 4, 2)
    if (offsetHours < 0 || offsetHours > 23 || offsetRest < 0 || offsetRest > 59) return undefined
    offsetMinutes = (zone === '-' ? -1 : 1) * (offsetHours * 60 + offsetRest)
  } else {
    return undefined
  }
  const seconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY +
    hour * 3600 +
    minute * 60 +
    second -
    offsetMinutes * 60
  return { seconds, fraction }
}

/** The decimal number of `count` digits at `start`, or -1 when they are not all digits. */
function digits(text: string, start: number, count: number): number {
  let value = 0
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i)
    if (!isDigit(code)) return -1
    value = value * 10 + (code - 0x30)
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
