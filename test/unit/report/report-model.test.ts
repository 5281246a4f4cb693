import { describe, expect, it } from 'vitest'
import { stretchStats, totalByMinute } from '../../../src/report/report-model.ts'

const minute = (startMs: number, requests: number, errors: number, p95Ms: number | null) => ({
  startMs,
  requests,
  errors,
  p50Ms: null,
  p95Ms,
  p99Ms: null,
})

describe('stretchStats', () => {
  it('sums the minutes inside the stretch and takes the median of their p95 latencies', () => {
    const points = [
      minute(0, 100, 1, 40),
      minute(60_000, 300, 3, 80),
      minute(120_000, 200, 0, null),
      minute(180_000, 400, 4, 60),
      minute(240_000, 500, 50, 500),
    ]
    expect(stretchStats(points, 0, 240_000)).toEqual({
      requests: 1_000,
      errors: 8,
      errorRate: 0.008,
      typicalP95Ms: 60,
    })
    expect(stretchStats(points, 0, 120_000).typicalP95Ms).toBe(60)
  })

  it('has no error rate and no latency without requests', () => {
    expect(stretchStats([], 0, 60_000)).toEqual({
      requests: 0,
      errors: 0,
      errorRate: null,
      typicalP95Ms: null,
    })
  })
})

describe('totalByMinute', () => {
  it('adds every release up minute by minute', () => {
    const releases = new Map([
      ['1.0', [minute(0, 10, 1, 5), minute(60_000, 10, 0, 5)]],
      ['1.1', [minute(60_000, 5, 5, 9)]],
    ])
    expect(totalByMinute(releases).map((point) => [point.requests, point.errors])).toEqual([
      [10, 1],
      [15, 5],
    ])
  })
})
