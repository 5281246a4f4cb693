import { describe, expect, it } from 'vitest'
import { MAX_REQUESTER_LENGTH, toRequesterName } from '../../../src/verdicts/verdict-service.ts'

describe('toRequesterName', () => {
  it('keeps quotes, backslashes and non-ASCII text as they are', () => {
    expect(toRequesterName("argo \\'; x")).toBe("argo \\'; x")
    expect(toRequesterName('контроллер 🚀')).toBe('контроллер 🚀')
  })

  it('turns control characters into spaces so that no log line can be forged', () => {
    expect(toRequesterName('a\u0000b\r\nc\u007fd\u0085e')).toBe('a b  c d e')
  })

  it(`cuts a long name to ${MAX_REQUESTER_LENGTH} characters without splitting one`, () => {
    const name = toRequesterName('🚀'.repeat(200))
    expect([...name]).toHaveLength(MAX_REQUESTER_LENGTH)
    expect(name).toBe('🚀'.repeat(MAX_REQUESTER_LENGTH))
  })

  it('names an empty or blank requester "unknown"', () => {
    expect(toRequesterName('')).toBe('unknown')
    expect(toRequesterName('\u0000 \t')).toBe('unknown')
  })
})
