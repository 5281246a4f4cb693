import { describe, expect, it } from 'vitest'
import { assertSafeSettings, toDeduplicationToken } from '../../../src/store/safe-settings.ts'

describe('assertSafeSettings', () => {
  it('passes the settings this program builds through unchanged', () => {
    const settings = {
      insert_deduplication_token: 'kafka-batch-v1-0af7651916cd43dd8448eb211c80319c-written',
      insert_deduplicate: 1,
      async_insert: 0,
      date_time_output_format: 'iso',
      wait_end_of_query: 1,
    } as const
    expect(assertSafeSettings(settings)).toBe(settings)
    expect(assertSafeSettings({ max_threads: 4, log_queries: true } as never)).toBeDefined()
    expect(assertSafeSettings({ insert_deduplication_token: '' })).toEqual({
      insert_deduplication_token: '',
    })
  })

  it.each([
    ['a backslash', 'x\\'],
    ['a quote', "x'"],
    [
      'a quote escaped by a backslash, then SQL',
      "\\'; CREATE TABLE t (x UInt8) ENGINE = Memory; --",
    ],
    ['a NUL', 'a\u0000b'],
    ['a space', 'a b'],
    ['a newline', 'a\nb'],
    ['non-ASCII letters', 'é中'],
    ['a semicolon', 'a;b'],
    ['301 safe characters', 'a'.repeat(301)],
  ])('refuses a string value holding %s, without echoing it', (_what, value) => {
    expect(() => assertSafeSettings({ insert_deduplication_token: value })).toThrow(
      expect.objectContaining({
        code: 'RH_INTERNAL',
        message: expect.stringMatching(/^refused ClickHouse setting "insert_deduplication_token"/),
      }),
    )
    try {
      assertSafeSettings({ insert_deduplication_token: value })
    } catch (error) {
      expect((error as Error).message).not.toContain(value)
    }
  })

  it('refuses setting names that are not identifiers and values that are not plain', () => {
    expect(() => assertSafeSettings({ 'x = 1; DROP TABLE t; SET y': 1 })).toThrow(
      /not an identifier/,
    )
    expect(() => assertSafeSettings({ max_threads: Number.NaN })).toThrow(/finite number/)
    expect(() => assertSafeSettings({ max_threads: { toString: () => "1'" } } as never)).toThrow(
      /object/,
    )
  })
})

describe('toDeduplicationToken', () => {
  it('derives a token of the safe alphabet from parts holding anything', () => {
    const token = toDeduplicationToken('verdict', [
      "\\'; DROP TABLE verdicts; --",
      1795000000000,
      'é\u0000',
    ])
    expect(token).toMatch(/^verdict-[0-9a-f]{64}$/)
    expect(() => assertSafeSettings({ insert_deduplication_token: token })).not.toThrow()
  })

  it('gives the same parts the same token and keeps the parts apart', () => {
    expect(toDeduplicationToken('verdict', ['a', 1, 'b'])).toBe(
      toDeduplicationToken('verdict', ['a', 1, 'b']),
    )
    expect(toDeduplicationToken('verdict', ['a:b', 'c'])).not.toBe(
      toDeduplicationToken('verdict', ['a', 'b:c']),
    )
    expect(toDeduplicationToken('verdict', ['1'])).not.toBe(toDeduplicationToken('verdict', [1]))
    expect(toDeduplicationToken('analysis', ['a'])).not.toBe(toDeduplicationToken('verdict', ['a']))
  })

  it('refuses a kind outside a-z0-9-', () => {
    expect(() => toDeduplicationToken("x'", [])).toThrow(/kind/)
  })
})
