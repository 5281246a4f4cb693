import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import type { Span, TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { retentionCutoffNs } from '../../../src/model/retention.ts'
import { MAX_START_NS } from '../../../src/model/span-rules.ts'
import { toMappingOptions, toSpanRows } from '../../../src/model/to-span-rows.ts'

const NOW_MS = Date.UTC(2026, 10, 22)
const CUTOFF_NS = BigInt(NOW_MS - 86_400_000) * 1_000_000n

function requestStartingAt(startTimeUnixNano: bigint): TraceRequest {
  const span: Span = {
    traceId: '0102030405060708090a0b0c0d0e0f10',
    spanId: 'a0a1a2a3a4a5a6a7',
    parentSpanId: '',
    name: 'GET /x',
    kind: 2,
    startTimeUnixNano,
    endTimeUnixNano: startTimeUnixNano + 1_000n,
    attributes: [],
    events: [],
    status: { code: 0, message: '' },
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [{ scope: { name: '', version: '' }, spans: [span] }],
      },
    ],
  }
}

describe('retentionCutoffNs', () => {
  it('is the time now minus the retention, in nanoseconds', () => {
    expect(retentionCutoffNs({ nowMs: NOW_MS, ttlDays: 1 })).toBe(CUTOFF_NS)
  })

  it.each([
    ['exactly at the cutoff', CUTOFF_NS, 0],
    ['one nanosecond before the cutoff', CUTOFF_NS - 1n, 1],
    ['one nanosecond after the cutoff', CUTOFF_NS + 1n, 0],
    ['at the Unix epoch', 0n, 1],
    ['far in the future, in 2099', MAX_START_NS - 1n, 0],
  ])('makes the mapping refuse a span %s: %i', (_name, start, rejected) => {
    const result = toSpanRows(requestStartingAt(start), toMappingOptions(DEFAULT_CONFIG), {
      retentionCutoffNs: retentionCutoffNs({ nowMs: NOW_MS, ttlDays: 1 }),
      retentionDays: 1,
    })
    expect(result.rejected).toBe(rejected)
    expect(result.rows).toHaveLength(1 - rejected)
    if (rejected === 1) {
      expect(result.rejectionMessage).toBe(
        '1 spans are older than the 1-day retention (clickhouse.ttlDays) and would be dropped by the store',
      )
    }
  })
})
