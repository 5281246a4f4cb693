import { logSequentialTEValue } from '../sequential/sequential-t.ts'
import type { PairedBlock } from '../sequential/rate-ratio.ts'
import { contrastUnits } from './minute-contrast.ts'

const LOG_RHO_RANGE = 12
const BOUND_STEPS = 18

/**
 * One end of the sequential t rule's confidence sequence for the effect, by inverting the test
 * over the tolerance: for `side` 'upper' the largest effect that the test of "effect ≤ e"
 * rejects at level α (a lower bound), for 'lower' the smallest that the test of "effect ≥ e"
 * rejects (an upper bound). The effect is the ratio of error rates − 1 (`relative`) or their
 * difference (`absolute`). null when no effect in range is rejected, or no minute had an error.
 */
export function contrastBound(
  blocks: readonly PairedBlock[],
  scale: 'relative' | 'absolute',
  side: 'upper' | 'lower',
  alpha: number,
): number | null {
  if (!blocks.some((block) => block.canaryErrors + block.baselineErrors > 0)) return null
  const target = -Math.log(alpha)
  const toContrast = (value: number) =>
    scale === 'relative' ? { rho: Math.exp(value), offset: 0 } : { rho: 1, offset: value }
  const rejects = (value: number): boolean =>
    logSequentialTEValue(contrastUnits(blocks, toContrast(value)), side) >= target
  const range = scale === 'relative' ? LOG_RHO_RANGE : 1
  // The upper test rejects small effects, the lower test large ones.
  const inside = side === 'upper' ? -range : range
  let outside = -inside
  if (!rejects(inside)) return null
  if (rejects(outside)) return toEffect(outside, scale)
  let rejected = inside
  for (let step = 0; step < BOUND_STEPS; step++) {
    const middle = (rejected + outside) / 2
    if (rejects(middle)) rejected = middle
    else outside = middle
  }
  return toEffect(rejected, scale)
}

function toEffect(value: number, scale: 'relative' | 'absolute'): number {
  return scale === 'relative' ? Math.expm1(value) : value
}
