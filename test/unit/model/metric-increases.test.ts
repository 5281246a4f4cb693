import { describe, expect, it } from 'vitest'
import {
  downscale,
  subtractBuckets,
  toIntervals,
  totalCount,
  type ExponentialBuckets,
} from '../../../src/model/histogram-buckets.ts'
import { toMinuteIncreases, type MetricSample } from '../../../src/model/metric-increases.ts'

const MINUTE_NS = 60_000_000_000n
const SECOND_NS = 1_000_000_000n
/** 10:00:00 of some day, in ns; minutes are counted from it. */
const T0 = 1_790_000_040n * SECOND_NS - ((1_790_000_040n * SECOND_NS) % MINUTE_NS)
const T0_MS = Number(T0 / 1_000_000n)
const minuteMs = (m: number): number => T0_MS + m * 60_000

/** A counter point `seconds` after T0. */
function counter(seconds: number, count: number, fields: Partial<MetricSample> = {}): MetricSample {
  return {
    series: 'a',
    startNs: T0 - 3600n * SECOND_NS,
    timeNs: T0 + BigInt(Math.round(seconds * 1000)) * 1_000_000n,
    temporality: 'cumulative',
    count,
    buckets: null,
    ...fields,
  }
}

const RANGE = { rangeStartNs: T0 - 600n * SECOND_NS }

/** Minute index (from T0) -> count, for readable expectations. */
function counts(samples: readonly MetricSample[], options = RANGE): Record<number, number> {
  return Object.fromEntries(
    toMinuteIncreases(samples, options).map((minute) => [
      (minute.startMs - T0_MS) / 60_000,
      minute.count,
    ]),
  )
}

describe('toMinuteIncreases', () => {
  it('turns a cumulative counter into per-minute increases, the first point being the baseline', () => {
    const samples = [counter(-5, 100), counter(10, 110), counter(40, 125), counter(70, 160)]
    expect(counts(samples)).toEqual({ 0: 25, 1: 35 })
  })

  it('counts a counter reset by its new start time, from zero', () => {
    const restartNs = T0 + 50n * SECOND_NS
    const samples = [
      counter(0, 500),
      counter(30, 520),
      counter(60, 7, { startNs: restartNs }),
      counter(90, 12, { startNs: restartNs }),
    ]
    expect(counts(samples)).toEqual({ 0: 20, 1: 12 })
  })

  it('counts a drop without a new start time as a reset (the whole new value)', () => {
    expect(counts([counter(0, 500), counter(20, 520), counter(40, 3), counter(70, 10)])).toEqual({
      0: 23,
      1: 7,
    })
  })

  it('gives the same minutes whatever order the points arrived in', () => {
    const samples = [counter(-5, 100), counter(10, 110), counter(40, 125), counter(70, 160)]
    const shuffled = [samples[2]!, samples[0]!, samples[3]!, samples[1]!]
    expect(counts(shuffled)).toEqual(counts(samples))
  })

  it('counts a point sent twice (a retried export) once, cumulative or delta', () => {
    const cumulative = [counter(0, 10), counter(30, 20), counter(30, 20), counter(50, 25)]
    expect(counts(cumulative)).toEqual({ 0: 15 })
    const delta = (seconds: number, count: number): MetricSample =>
      counter(seconds, count, {
        temporality: 'delta',
        startNs: T0 + BigInt(seconds - 10) * SECOND_NS,
      })
    expect(counts([delta(10, 4), delta(20, 6), delta(20, 6), delta(70, 1)])).toEqual({
      0: 10,
      1: 1,
    })
  })

  it('puts the increase over a gap in the minute after it, and keeps the total', () => {
    const samples = [counter(0, 100), counter(30, 110), counter(250, 190), counter(270, 200)]
    expect(counts(samples)).toEqual({ 0: 10, 4: 90 })
  })

  it('counts a new series whole, and a series that began before the range as a baseline only', () => {
    const fresh = { startNs: T0 - 10n * SECOND_NS, series: 'fresh' }
    const old = { startNs: T0 - 7200n * SECOND_NS, series: 'old' }
    const unknown = { startNs: 0n, series: 'unknown' }
    const samples = [
      counter(5, 8, fresh),
      counter(65, 9, fresh),
      counter(5, 900, old),
      counter(65, 905, old),
      counter(5, 40, unknown),
      counter(65, 41, unknown),
    ]
    expect(counts(samples)).toEqual({ 0: 8, 1: 1 + 5 + 1 })
  })

  it('sums the instances of a release, and keeps two writers of one series apart by start time', () => {
    const podA = { series: 'pod-a' }
    const podB = { series: 'pod-b' }
    const twinStart = T0 - 100n * SECOND_NS
    const samples = [
      counter(0, 10, podA),
      counter(30, 30, podA),
      counter(0, 50, podB),
      counter(30, 55, podB),
      // Two processes exporting one series identity, interleaved: their starts differ.
      counter(1, 100, { series: 'twin' }),
      counter(2, 7, { series: 'twin', startNs: twinStart }),
      counter(31, 110, { series: 'twin' }),
      counter(32, 9, { series: 'twin', startNs: twinStart }),
    ]
    // pod-a 20, pod-b 5, twin 10, the twin that began in range 9 (7 at its first point, +2)
    expect(counts(samples)).toEqual({ 0: 20 + 5 + 10 + 9 })
  })

  it('does not change a minute once the points up to its end have arrived', () => {
    const all = [
      counter(0, 1),
      counter(30, 3),
      counter(61, 9),
      counter(95, 12),
      counter(130, 30),
      counter(200, 31),
    ]
    const full = toMinuteIncreases(all, RANGE)
    for (let end = 1; end <= 3; end++) {
      const known = all.filter((sample) => sample.timeNs < T0 + BigInt(end) * MINUTE_NS)
      const early = toMinuteIncreases(known, RANGE)
      expect(early).toEqual(full.filter((minute) => minute.startMs < minuteMs(end)))
    }
  })

  it('subtracts cumulative explicit histograms bucket by bucket', () => {
    const bounds = [10, 100]
    const histogram = (seconds: number, bucketCounts: number[]): MetricSample =>
      counter(
        seconds,
        bucketCounts.reduce((a, b) => a + b, 0),
        {
          buckets: { kind: 'explicit', bounds, counts: bucketCounts },
        },
      )
    const [minute] = toMinuteIncreases(
      [histogram(0, [1, 2, 0]), histogram(30, [4, 2, 1]), histogram(50, [5, 6, 1])],
      RANGE,
    )
    expect(minute?.count).toBe(9)
    expect(minute?.buckets).toEqual([
      { kind: 'explicit', bounds, counts: [3, 0, 1] },
      { kind: 'explicit', bounds, counts: [1, 4, 0] },
    ])
  })

  it('takes a histogram whose bounds changed within a run as a reset', () => {
    const samples = [
      counter(0, 5, { buckets: { kind: 'explicit', bounds: [1], counts: [2, 3] } }),
      counter(30, 6, { buckets: { kind: 'explicit', bounds: [2], counts: [4, 2] } }),
    ]
    expect(toMinuteIncreases(samples, RANGE)[0]?.buckets).toEqual([
      { kind: 'explicit', bounds: [2], counts: [4, 2] },
    ])
  })

  it('subtracts cumulative exponential histograms across a scale change', () => {
    const exponential = (
      scale: number,
      offset: number,
      positive: number[],
    ): ExponentialBuckets => ({
      kind: 'exponential',
      scale,
      zeroCount: 1,
      zeroThreshold: 0,
      positiveOffset: offset,
      positive,
      negativeOffset: 0,
      negative: [],
    })
    // At scale 3 buckets 8..11 hold 1, 2, 3, 4; the SDK then halves the scale as the range grows:
    // at scale 2 they are buckets 4 and 5 (1 + 2 and 3 + 4), and new values land in bucket 9.
    const before = exponential(3, 8, [1, 2, 3, 4])
    const after = exponential(2, 4, [3 + 1, 7, 0, 0, 0, 5])
    const samples = [counter(0, 11, { buckets: before }), counter(30, 11 + 6, { buckets: after })]
    const [minute] = toMinuteIncreases(samples, RANGE)
    expect(minute?.count).toBe(6)
    expect(minute?.buckets).toEqual([{ ...exponential(2, 4, [1, 0, 0, 0, 0, 5]), zeroCount: 0 }])
  })
})

describe('histogram buckets', () => {
  it('downscales exponential buckets by merging neighbours, negative indexes included', () => {
    const buckets: ExponentialBuckets = {
      kind: 'exponential',
      scale: 1,
      zeroCount: 0,
      zeroThreshold: 0,
      positiveOffset: -3,
      positive: [1, 1, 1, 1, 1],
      negativeOffset: 0,
      negative: [],
    }
    // Indexes -3..1 at scale 1 are -2, -1, -1, 0, 0 at scale 0.
    expect(downscale(buckets, 0)).toMatchObject({
      scale: 0,
      positiveOffset: -2,
      positive: [1, 2, 2],
    })
    expect(totalCount(downscale(buckets, -2))).toBe(5)
  })

  it('gives every bucket the range of values it holds', () => {
    expect(toIntervals({ kind: 'explicit', bounds: [5, 10], counts: [1, 0, 2] })).toEqual([
      { lower: -Infinity, upper: 5, count: 1 },
      { lower: 10, upper: Infinity, count: 2 },
    ])
    // Scale 1: base √2; index 2 holds (2, 2√2], index -1 of the negatives [-1, -1/√2).
    expect(
      toIntervals({
        kind: 'exponential',
        scale: 1,
        zeroCount: 3,
        zeroThreshold: 0.001,
        positiveOffset: 2,
        positive: [4],
        negativeOffset: -1,
        negative: [5],
      }),
    ).toEqual([
      { lower: -1, upper: -Math.SQRT1_2, count: 5 },
      { lower: -0.001, upper: 0.001, count: 3 },
      { lower: 2, upper: 2 * Math.SQRT2, count: 4 },
    ])
  })

  it('refuses to subtract a bucket that went down', () => {
    expect(
      subtractBuckets(
        { kind: 'explicit', bounds: [1], counts: [1, 1] },
        { kind: 'explicit', bounds: [1], counts: [2, 0] },
      ),
    ).toBeUndefined()
  })
})
