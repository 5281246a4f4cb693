/**
 * The analysis core: pure statistics and the canary judge. No IO, no clock, no environment;
 * time and data come in as arguments.
 */
export { judge } from './judge/judge.ts'
export type {
  BudgetReport,
  BurnWindowReport,
  CohortBudget,
  CohortEstimate,
  CohortResult,
  CohortSnapshot,
  Decision,
  JudgeInput,
  LatencyBuckets,
  MetricDecision,
  MetricResult,
  MinuteCounts,
  Missing,
  SampleRatioReport,
  Verdict,
} from './judge/judge-types.ts'
export { parsePolicy } from './policy/parse-policy.ts'
export { DEFAULT_POLICY } from './policy/default-policy.ts'
export type {
  BurnWindow,
  Direction,
  ErrorRateMetric,
  LatencyMetric,
  LatencySlo,
  MetricKind,
  MetricPolicy,
  NumericMetric,
  Policy,
  Tolerance,
} from './policy/policy-types.ts'
export type {
  DataSource,
  ErrorRule,
  MetricSelector,
  MetricsSource,
  SpansSource,
} from './policy/data-source.ts'
export { mannWhitneyU, type MannWhitneyResult } from './fixed-horizon/mann-whitney-u.ts'
export { welchTTest, type WelchResult } from './fixed-horizon/welch-t-test.ts'
export type { Alternative, TestOptions } from './fixed-horizon/alternative.ts'
export { parseCohortResult, parseCohortSnapshot } from './judge/parse-cohort.ts'
