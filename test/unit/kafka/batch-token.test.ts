import { describe, expect, it } from 'vitest'
import {
  toBatchToken,
  toClaimToken,
  type BatchRange,
} from '../../../src/ingest/kafka/ledger/batch-token.ts'

const RANGE: BatchRange = {
  groupId: 'release-health',
  topic: 'otlp_spans',
  partition: 3,
  firstOffset: 1_000n,
  lastOffset: 1_499n,
  firstTimestampMs: '1795000000000',
}

describe('toBatchToken', () => {
  it('gives the same batch the same token every time', () => {
    expect(toBatchToken({ ...RANGE })).toBe(toBatchToken(RANGE))
    expect(toBatchToken(RANGE)).toMatch(/^kafka-batch-v1-[0-9a-f]{32}$/)
  })

  it.each([
    ['group', { groupId: 'other-group' }],
    ['topic', { topic: 'otlp_spans_2' }],
    ['partition', { partition: 4 }],
    ['first offset', { firstOffset: 1_001n }],
    ['last offset', { lastOffset: 1_500n }],
    ['first timestamp (a re-created topic)', { firstTimestampMs: '1795000000001' }],
  ])('gives another token when the %s differs', (_, change) => {
    expect(toBatchToken({ ...RANGE, ...change })).not.toBe(toBatchToken(RANGE))
  })

  it('keeps fields apart whatever characters the names hold', () => {
    const a = toBatchToken({ ...RANGE, groupId: 'a:b', topic: 'c' })
    const b = toBatchToken({ ...RANGE, groupId: 'a', topic: 'b:c' })
    expect(a).not.toBe(b)
  })
})

describe('toClaimToken', () => {
  it('is the same for two batches that start at the same message, so that only one claim is kept', () => {
    const longer: BatchRange = { ...RANGE, lastOffset: 2_000n }
    expect(toClaimToken(longer)).toBe(toClaimToken(RANGE))
  })

  it('differs from the batch token, so that the ledger and the data never share a token', () => {
    expect(toClaimToken(RANGE)).not.toBe(toBatchToken(RANGE))
  })
})
