import { describe, expect, it } from 'vitest'
import { parseRfc3339Nanos, parseRfc3339NanosText } from '../../../src/model/parse-rfc3339.ts'

describe('parseRfc3339Nanos', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 0n],
    ['2026-11-22T10:00:00Z', 1_795_341_600_000_000_000n],
    ['2026-11-22T10:00:00.5Z', 1_795_341_600_500_000_000n],
    ['2026-11-22T10:00:00.123456789Z', 1_795_341_600_123_456_789n],
    ['2026-11-22t10:00:00.000000001z', 1_795_341_600_000_000_001n],
    ['2026-11-22 10:00:00Z', 1_795_341_600_000_000_000n],
    ['2026-11-22T11:30:00+01:30', 1_795_341_600_000_000_000n],
    ['2026-11-22T08:00:00-02:00', 1_795_341_600_000_000_000n],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000_000_000n],
  ])('reads %s exactly', (text, nanos) => {
    expect(parseRfc3339Nanos(text)).toBe(nanos)
  })

  it.each([
    ['no zone', '2026-11-22T10:00:00'],
    ['a date alone', '2026-11-22'],
    ['more than nanoseconds', '2026-11-22T10:00:00.1234567891Z'],
    ['a day that does not exist', '2026-02-30T10:00:00Z'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['hour 24', '2026-11-22T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset past 23:59', '2026-11-22T10:00:00+24:00'],
    ['epoch milliseconds', '1795341600000'],
    ['surrounding text', ' 2026-11-22T10:00:00Z'],
  ])('refuses %s', (_, text) => {
    expect(parseRfc3339Nanos(text)).toBeUndefined()
  })
})

describe('parseRfc3339NanosText', () => {
  it.each([
    ['1970-01-01T00:00:00Z', '0'],
    ['1970-01-01T00:00:00.000000042Z', '42'],
    ['2026-11-22T10:00:00.123456789Z', '1795341600123456789'],
    ['2000-02-29T23:59:59.5-00:30', '951870599500000000'],
    ['2262-04-11T23:47:16.854775807Z', '9223372036854775807'],
  ])('reads %s as the same nanoseconds as the bigint parser', (text, nanos) => {
    expect(parseRfc3339NanosText(text)).toBe(nanos)
    expect(parseRfc3339Nanos(text)).toBe(BigInt(nanos))
  })

  it.each([
    ['before 1970', '1969-12-31T23:59:59.999999999Z'],
    ['one nanosecond past what DateTime64(9) holds', '2262-04-11T23:47:16.854775808Z'],
    ['the year 9999', '9999-12-31T23:59:59Z'],
    ['a day that does not exist', '2100-02-29T00:00:00Z'],
  ])('refuses a time %s', (_, text) => {
    expect(parseRfc3339NanosText(text)).toBeUndefined()
  })

  it('agrees with Date.parse on every day of four centuries', () => {
    for (
      let ms = Date.UTC(1970, 0, 1);
      ms < Date.UTC(2400, 0, 1);
      ms += 86_400_000 * 7 + 3_723_000
    ) {
      const text = new Date(ms).toISOString()
      expect(parseRfc3339Nanos(text)).toBe(BigInt(ms) * 1_000_000n)
    }
  })
})
