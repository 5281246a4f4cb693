import { logSampleRatioEValue } from '../sequential/sample-ratio.ts'
import type { CohortSnapshot, SampleRatioReport } from './judge-types.ts'
import { toEValue } from './metric-context.ts'

/**
 * The sample-ratio-mismatch check ({@link logSampleRatioEValue}) when the policy expects a split:
 * a canary that serves a different share of requests than configured points to a broken
 * assignment or a crashing cohort, and the comparison cannot be trusted to promote.
 */
export function checkSampleRatio(
  expectedCanaryShare: number | null,
  baseline: CohortSnapshot | null,
  canary: CohortSnapshot | null,
  alpha: number,
): SampleRatioReport | null {
  if (expectedCanaryShare === null || baseline === null || canary === null) return null
  const total = baseline.requests + canary.requests
  const logE = logSampleRatioEValue(canary.requests, baseline.requests, expectedCanaryShare)
  return {
    expectedCanaryShare,
    observedCanaryShare: total > 0 ? canary.requests / total : null,
    eValue: toEValue(logE) ?? 1,
    mismatch: logE >= -Math.log(alpha),
  }
}
