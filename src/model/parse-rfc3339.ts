const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

const NANOS_PER_MILLI = 1_000_000n

/**
 * Nanoseconds since the Unix epoch of an RFC 3339 date-time (`2026-11-22T10:00:00.123456789Z`,
 * `2026-11-22T11:00:00+01:00`), exact to the nanosecond, or undefined when the text is not
 * one or names a day that does not exist. Leap seconds (`:60`) are refused, as JavaScript's
 * clock has none.
 */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const match = RFC3339.exec(text)
  if (match === null) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', zulu, sign, offsetH, offsetM] =
    match as unknown as (string | undefined)[]
  const parts = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const [y, mo, d, h, mi, s] = parts
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  // Date.UTC rolls 31 April over into 1 May; a day that does not exist is refused instead.
  if (date.getUTCDate() !== d || date.getUTCFullYear() !== y) return undefined
  let offsetMinutes = 0
  if (zulu === undefined) {
    const hours = Number(offsetH)
    const minutes = Number(offsetM)
    if (hours > 23 || minutes > 59) return undefined
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes)
  }
  const millis = date.getTime() - offsetMinutes * 60_000
  return BigInt(millis) * NANOS_PER_MILLI + BigInt(fraction.padEnd(9, '0'))
}
