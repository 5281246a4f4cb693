import { describe, expect, it } from 'vitest'
import { splitExpired } from '../../../src/model/retention.ts'
import type { SpanRow } from '../../../src/model/span-row.ts'

const NOW_MS = Date.UTC(2026, 10, 22)
const CUTOFF_NS = BigInt(NOW_MS - 86_400_000) * 1_000_000n

const row = (timestamp: bigint): SpanRow => ({ timestamp: timestamp.toString() }) as SpanRow

describe('splitExpired', () => {
  it.each([
    ['exactly at the cutoff', CUTOFF_NS, 0],
    ['one nanosecond before the cutoff', CUTOFF_NS - 1n, 1],
    ['one nanosecond after the cutoff', CUTOFF_NS + 1n, 0],
    ['at the Unix epoch', 0n, 1],
    ['with fewer digits than the cutoff', 999_999_999n, 1],
    ['far in the future, with more digits', 10n ** 20n, 0],
  ])('counts a span %s as expired: %i', (_name, timestamp, expired) => {
    const result = splitExpired([row(timestamp)], { nowMs: NOW_MS, ttlDays: 1 })
    expect(result.expired).toBe(expired)
    expect(result.kept).toHaveLength(1 - expired)
  })
})
