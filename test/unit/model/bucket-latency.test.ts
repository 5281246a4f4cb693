import { describe, expect, it } from 'vitest'
import {
  bucketQuantile,
  msPerUnit,
  sampleIntervals,
  toLatencyIntervals,
  type BucketSample,
} from '../../../src/model/bucket-latency.ts'

describe('latency from buckets', () => {
  it('reads duration units as milliseconds, other units as they are', () => {
    expect([msPerUnit('s'), msPerUnit('ms'), msPerUnit('us'), msPerUnit('{request}')]).toEqual([
      1000, 1, 0.001, 1,
    ])
  })

  it('turns buckets into millisecond ranges that start at zero, in order', () => {
    const intervals = toLatencyIntervals(
      [
        { kind: 'explicit', bounds: [0.1, 0.5], counts: [3, 0, 1] },
        { kind: 'explicit', bounds: [0.05], counts: [2, 0] },
      ],
      1000,
    )
    expect(intervals).toEqual([
      { lower: 0, upper: 50, count: 2 },
      { lower: 0, upper: 100, count: 3 },
      { lower: 500, upper: Infinity, count: 1 },
    ])
  })

  it('samples a minute at evenly spread ranks, each value inside its bucket with its edges', () => {
    const into: BucketSample = { values: [], lower: [], upper: [] }
    const intervals = [
      { lower: 0, upper: 10, count: 600 },
      { lower: 10, upper: 20, count: 200 },
      { lower: 20, upper: Infinity, count: 200 },
    ]
    sampleIntervals(intervals, 10, into)
    expect(into.lower).toEqual([0, 0, 0, 0, 0, 0, 10, 10, 20, 20])
    expect(into.upper).toEqual([10, 10, 10, 10, 10, 10, 20, 20, Infinity, Infinity])
    expect(into.values[0]).toBeCloseTo(10 / 12)
    expect(into.values[1]).toBeCloseTo(2.5)
    // The open bucket's values sit at its lower edge.
    expect(into.values.slice(8)).toEqual([20, 20])
    sampleIntervals(intervals, 10_000, into)
    expect(into.values).toHaveLength(10 + 1000)
  })

  it('estimates a quantile within its bucket and names the bucket', () => {
    const intervals = [
      { lower: 0, upper: 10, count: 90 },
      { lower: 10, upper: 30, count: 10 },
    ]
    expect(bucketQuantile(intervals, 0.95)).toEqual({ estimate: 20, lower: 10, upper: 30 })
    expect(bucketQuantile([], 0.5)).toBeNull()
  })
})
