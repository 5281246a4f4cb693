/**
 * Argo Rollouts' documented semantics for one `web` metric, enough to replay an
 * AnalysisTemplate against the live API: the jsonPath `{$.field}` picks a value, the
 * conditions `result == "x"` classify each measurement, and the limits decide the run.
 */
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive'
export type RunPhase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive'

export interface WebMetric {
  readonly jsonPath: string
  readonly successCondition: string
  readonly failureCondition: string
  readonly failureLimit: number
  readonly inconclusiveLimit: number
  readonly consecutiveSuccessLimit: number
}

export function selectJsonPath(body: unknown, jsonPath: string): unknown {
  const match = /^\{\$\.([A-Za-z0-9_.]+)\}$/.exec(jsonPath)
  if (match?.[1] === undefined) throw new Error(`unsupported jsonPath ${jsonPath}`)
  return match[1]
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], body)
}

function holds(condition: string, result: unknown): boolean {
  const match = /^result == "([^"]*)"$/.exec(condition)
  if (match === null) throw new Error(`unsupported condition ${condition}`)
  return result === match[1]
}

/** Argo evaluates the failure condition first, then success; neither is Inconclusive. */
export function measure(metric: WebMetric, body: unknown): MeasurementPhase {
  const result = selectJsonPath(body, metric.jsonPath)
  if (holds(metric.failureCondition, result)) return 'Failed'
  if (holds(metric.successCondition, result)) return 'Successful'
  return 'Inconclusive'
}

export function assessRun(metric: WebMetric, measurements: readonly MeasurementPhase[]): RunPhase {
  const failed = measurements.filter((phase) => phase === 'Failed').length
  const inconclusive = measurements.filter((phase) => phase === 'Inconclusive').length
  if (failed > metric.failureLimit) return 'Failed'
  if (inconclusive > metric.inconclusiveLimit) return 'Inconclusive'
  let consecutive = 0
  for (const phase of measurements) consecutive = phase === 'Successful' ? consecutive + 1 : 0
  if (consecutive >= metric.consecutiveSuccessLimit) return 'Successful'
  return 'Running'
}
