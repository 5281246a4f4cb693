/**
 * The analysis core: pure statistics and the canary judge. No IO, no clock, no environment;
 * time and data come in as arguments.
 */
export { judge } from './judge/judge.ts'
export type {
  BlastRadiusReport,
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
  RelatedResult,
  RelatedRole,
  RelatedService,
  SampleRatioReport,
  Verdict,
} from './judge/judge-types.ts'
export { parsePolicy } from './policy/parse-policy.ts'
export { DEFAULT_POLICY } from './policy/default-policy.ts'
export type {
  BlastRadiusPolicy,
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
  SpanTable,
} from './policy/data-source.ts'
export { mannWhitneyU, type MannWhitneyResult } from './fixed-horizon/mann-whitney-u.ts'
export { welchTTest, type WelchResult } from './fixed-horizon/welch-t-test.ts'
export type { Alternative, TestOptions } from './fixed-horizon/alternative.ts'
export { parseCohortResult, parseCohortSnapshot } from './judge/parse-cohort.ts'
export {
  judgeTrain,
  combine as combineTrainDecisions,
  type TrainCause,
  type TrainInput,
  type TrainMemberInput,
  type TrainMemberVerdict,
  type TrainVerdict,
} from './train/judge-train.ts'
export { RELATED_LAG_MS, blastMetricName, judgesBlastRadius } from './judge/blast-radius.ts'
