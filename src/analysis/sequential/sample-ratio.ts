import { logBetaBinomialMixture } from './beta-binomial.ts'

/** Prior weight, in requests, of the mixture behind the sample-ratio check. */
const SAMPLE_RATIO_PRIOR_WEIGHT = 1000

/**
 * ln of the e-value of the sample-ratio-mismatch test: is each request assigned to the canary
 * with the expected probability? The beta-binomial mixture martingale over request counts
 * (the two-cohort case of the Dirichlet-multinomial test of Lindon & Malek 2022, "Anytime-valid
 * inference for multinomial count data", NeurIPS). Exact: cumulative counts suffice, at any
 * polling schedule.
 */
export function logSampleRatioEValue(
  canaryRequests: number,
  baselineRequests: number,
  expectedCanaryShare: number,
): number {
  return logBetaBinomialMixture(
    canaryRequests,
    canaryRequests + baselineRequests,
    expectedCanaryShare,
    SAMPLE_RATIO_PRIOR_WEIGHT,
  )
}
