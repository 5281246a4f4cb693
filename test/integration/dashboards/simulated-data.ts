import type { RunningApp } from '../../../src/app.ts'
import { runSimulation } from '../../../src/simulate/run-simulation.ts'
import { SCENARIOS, type ScenarioName } from '../../../src/simulate/scenarios.ts'
import { createVerdictApiClient } from '../../../src/simulate/verdict-api-client.ts'

export interface SimulatedAnalysis {
  readonly scenario: ScenarioName
  readonly analysisId: string
  readonly startMs: number
}

/**
 * Fills a running app with a scenario's traffic the way `release-health simulate` does (the
 * real OpenTelemetry SDK and OpenFeature hooks over OTLP, the analysis created through the
 * API), backfill only and at a low rate, so it takes a few seconds.
 */
export async function simulate(
  app: RunningApp,
  scenario: ScenarioName,
  options: { backfillMinutes?: number; ratePerSecond?: number } = {},
): Promise<SimulatedAnalysis> {
  let startMs = 0
  const result = await runSimulation({
    scenario: SCENARIOS[scenario],
    endpoint: app.otlpHttpUrl ?? '',
    api: createVerdictApiClient(app.apiUrl),
    ratePerSecond: options.ratePerSecond ?? 8,
    backfillMs: (options.backfillMinutes ?? 20) * 60_000,
    durationMs: 0,
    onEvent: (event) => {
      if (event.kind === 'analysis-created') startMs = event.startMs
    },
  })
  return { scenario, analysisId: result.analysisId, startMs }
}

/**
 * A movable clock for the app: verdicts asked for at earlier moments make a history with
 * decision changes (the judge wants ten minutes before it decides), as a controller polling
 * through the rollout would have recorded it.
 */
export function createClock(): { now: () => number; set(ms: number | undefined): void } {
  let fixedMs: number | undefined
  return {
    now: () => fixedMs ?? Date.now(),
    set: (ms) => {
      fixedMs = ms
    },
  }
}

/** Records the verdict at each moment, as a controller named `test-controller`. */
export async function recordVerdicts(
  app: RunningApp,
  clock: ReturnType<typeof createClock>,
  analysisId: string,
  momentsMs: readonly number[],
): Promise<string[]> {
  const decisions: string[] = []
  for (const ms of momentsMs) {
    clock.set(ms)
    const response = await fetch(
      `${app.apiUrl}/api/v1/analyses/${analysisId}/verdict?requester=test-controller`,
    )
    decisions.push(((await response.json()) as { decision: string }).decision)
  }
  clock.set(undefined)
  return decisions
}
