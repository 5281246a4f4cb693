/** A sample as the analysis reads it: a plain array or a typed array, never mutated. */
export type Sample = ArrayLike<number>

/** True when the sample is in ascending order (a linear scan). */
export function isAscending(sample: Sample): boolean {
  for (let i = 1; i < sample.length; i++) {
    if ((sample[i] as number) < (sample[i - 1] as number)) return false
  }
  return true
}

/**
 * The sample in ascending order. A sample that is already sorted is returned as it is, so
 * callers that keep their data sorted (a simulation, a merged sketch) pay a scan, not a sort.
 */
export function toAscending(sample: Sample): Sample {
  if (isAscending(sample)) return sample
  return Float64Array.from(sample).sort()
}

/** True when every value is a finite number. */
export function isFiniteSample(sample: Sample): boolean {
  for (let i = 0; i < sample.length; i++) {
    if (!Number.isFinite(sample[i])) return false
  }
  return true
}

/**
 * Mean and unbiased variance (divisor n − 1) of a sample, by the two-pass algorithm with
 * Neumaier-compensated sums. Callers that need a result independent of the order of the
 * values pass the sample sorted.
 */
export function meanAndVariance(sample: Sample): { mean: number; variance: number } {
  const n = sample.length
  const mean = compensatedSum(sample, 0) / n
  const variance = n > 1 ? compensatedSquares(sample, mean) / (n - 1) : 0
  return { mean, variance }
}

/** Σ (xᵢ − shift) with Neumaier's compensated summation. */
export function compensatedSum(sample: Sample, shift: number): number {
  let sum = 0
  let compensation = 0
  for (let i = 0; i < sample.length; i++) {
    const value = (sample[i] as number) - shift
    const next = sum + value
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum
    sum = next
  }
  return sum + compensation
}

function compensatedSquares(sample: Sample, mean: number): number {
  let sum = 0
  let compensation = 0
  for (let i = 0; i < sample.length; i++) {
    const deviation = (sample[i] as number) - mean
    const value = deviation * deviation
    const next = sum + value
    compensation += sum >= value ? sum - next + value : value - next + sum
    sum = next
  }
  return sum + compensation
}
