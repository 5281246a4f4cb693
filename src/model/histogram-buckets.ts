/**
 * Histogram buckets as OTLP carries them, and the arithmetic per-minute increases need:
 * the difference of two cumulative points of one series (with exponential scales brought to
 * the coarser one first) and the value range of every bucket.
 *
 * Explicit buckets (metrics data model, "Histogram"): bucket i holds values in
 * (bounds[i-1], bounds[i]], the first from -∞, the last to +∞. Exponential buckets
 * ("ExponentialHistogram"): with base = 2^(2^-scale), positive bucket index k holds values in
 * (base^k, base^(k+1)], negative bucket index k the values in [-base^(k+1), -base^k), and the
 * zero bucket [-zeroThreshold, zeroThreshold]. Lowering the scale by one merges buckets k and
 * k+1 of an even k into bucket k/2: index k at scale s is index k >> (s - s') at scale s'.
 */
export type Buckets = ExplicitBuckets | ExponentialBuckets

export interface ExplicitBuckets {
  readonly kind: 'explicit'
  readonly bounds: readonly number[]
  /** bounds.length + 1 counts. */
  readonly counts: readonly number[]
}

export interface ExponentialBuckets {
  readonly kind: 'exponential'
  readonly scale: number
  readonly zeroCount: number
  readonly zeroThreshold: number
  readonly positiveOffset: number
  readonly positive: readonly number[]
  readonly negativeOffset: number
  readonly negative: readonly number[]
}

/** Values known only to lie in [lower, upper] (a bucket's range), `count` times. */
export interface BucketInterval {
  readonly lower: number
  readonly upper: number
  readonly count: number
}

/**
 * `later` − `earlier` for two cumulative points of one series, or undefined when they cannot
 * be subtracted: explicit bounds that differ, or a bucket that went down (a reset the start
 * time did not show). Exponential points are compared at the coarser of their two scales.
 */
export function subtractBuckets(later: Buckets, earlier: Buckets): Buckets | undefined {
  if (later.kind === 'explicit' && earlier.kind === 'explicit') {
    if (!sameNumbers(later.bounds, earlier.bounds)) return undefined
    if (later.counts.length !== earlier.counts.length) return undefined
    const counts = later.counts.map((count, i) => count - earlier.counts[i]!)
    return counts.some((count) => count < 0) ? undefined : { ...later, counts }
  }
  if (later.kind === 'exponential' && earlier.kind === 'exponential') {
    const scale = Math.min(later.scale, earlier.scale)
    const a = downscale(later, scale)
    const b = downscale(earlier, scale)
    const positive = subtractRange(a.positiveOffset, a.positive, b.positiveOffset, b.positive)
    const negative = subtractRange(a.negativeOffset, a.negative, b.negativeOffset, b.negative)
    const zeroCount = a.zeroCount - b.zeroCount
    if (positive === undefined || negative === undefined || zeroCount < 0) return undefined
    return {
      kind: 'exponential',
      scale,
      zeroCount,
      zeroThreshold: Math.max(a.zeroThreshold, b.zeroThreshold),
      positiveOffset: positive.offset,
      positive: positive.counts,
      negativeOffset: negative.offset,
      negative: negative.counts,
    }
  }
  return undefined
}

/** The same counts at a scale no finer than `scale`: buckets merge, nothing is split. */
export function downscale(buckets: ExponentialBuckets, scale: number): ExponentialBuckets {
  const shift = buckets.scale - scale
  if (shift <= 0) return buckets
  const positive = mergeRange(buckets.positiveOffset, buckets.positive, shift)
  const negative = mergeRange(buckets.negativeOffset, buckets.negative, shift)
  return {
    ...buckets,
    scale,
    positiveOffset: positive.offset,
    positive: positive.counts,
    negativeOffset: negative.offset,
    negative: negative.counts,
  }
}

/** Every non-empty bucket as the range of values it holds. */
export function toIntervals(buckets: Buckets): BucketInterval[] {
  const intervals: BucketInterval[] = []
  if (buckets.kind === 'explicit') {
    const { bounds, counts } = buckets
    counts.forEach((count, i) => {
      if (count <= 0) return
      intervals.push({
        lower: i === 0 ? -Infinity : bounds[i - 1]!,
        upper: i < bounds.length ? bounds[i]! : Infinity,
        count,
      })
    })
    return intervals
  }
  const step = 2 ** -buckets.scale
  buckets.negative.forEach((count, i) => {
    if (count <= 0) return
    const index = buckets.negativeOffset + i
    intervals.push({ lower: -(2 ** ((index + 1) * step)), upper: -(2 ** (index * step)), count })
  })
  if (buckets.zeroCount > 0) {
    const threshold = buckets.zeroThreshold
    intervals.push({ lower: -threshold, upper: threshold, count: buckets.zeroCount })
  }
  buckets.positive.forEach((count, i) => {
    if (count <= 0) return
    const index = buckets.positiveOffset + i
    intervals.push({ lower: 2 ** (index * step), upper: 2 ** ((index + 1) * step), count })
  })
  return intervals
}

/** The count of every bucket of `buckets`. */
export function totalCount(buckets: Buckets): number {
  if (buckets.kind === 'explicit') return sum(buckets.counts)
  return buckets.zeroCount + sum(buckets.positive) + sum(buckets.negative)
}

interface Range {
  readonly offset: number
  readonly counts: readonly number[]
}

function mergeRange(offset: number, counts: readonly number[], shift: number): Range {
  if (counts.length === 0) return { offset: 0, counts: [] }
  // An arithmetic shift floors negative indexes too, as the data model's mapping does.
  const first = offset >> shift
  const last = (offset + counts.length - 1) >> shift
  const merged = new Array<number>(last - first + 1).fill(0)
  counts.forEach((count, i) => {
    merged[((offset + i) >> shift) - first]! += count
  })
  return { offset: first, counts: merged }
}

/** `a` − `b` bucket by bucket over the union of their index ranges; undefined if any is < 0. */
function subtractRange(
  aOffset: number,
  a: readonly number[],
  bOffset: number,
  b: readonly number[],
): Range | undefined {
  if (b.length === 0) return { offset: aOffset, counts: [...a] }
  if (a.length === 0) return b.some((count) => count > 0) ? undefined : { offset: 0, counts: [] }
  const first = Math.min(aOffset, bOffset)
  const last = Math.max(aOffset + a.length, bOffset + b.length)
  const counts = new Array<number>(last - first).fill(0)
  a.forEach((count, i) => {
    counts[aOffset + i - first]! += count
  })
  b.forEach((count, i) => {
    counts[bOffset + i - first]! -= count
  })
  return counts.some((count) => count < 0) ? undefined : { offset: first, counts }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i])
}

function sum(values: readonly number[]): number {
  let total = 0
  for (const value of values) total += value
  return total
}
