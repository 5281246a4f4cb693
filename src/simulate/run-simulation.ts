import { setTimeout as sleep } from 'node:timers/promises'
import type { Scenario } from './scenarios.ts'
import { assertReceiverAccepts, createSimulatedService } from './simulated-service.ts'
import { createRandom } from './seeded-random.ts'
import { planRequest, spreadStartTimes } from './traffic-model.ts'
import type { VerdictApiClient, VerdictSummary } from './verdict-api-client.ts'

export interface SimulationOptions {
  readonly scenario: Scenario
  /** OTLP/HTTP base URL of the receiver. */
  readonly endpoint: string
  readonly api: VerdictApiClient
  readonly ratePerSecond: number
  /**
   * History sent first, with past timestamps. The judge reads complete minutes and wants a
   * minimum duration, so a backfill is what lets a verdict appear right away.
   */
  readonly backfillMs: number
  /** Live traffic after the backfill; 0 stops after the backfill. */
  readonly durationMs: number
  /** How often the verdict is asked for during live traffic, as a rollout controller would. */
  readonly pollIntervalMs?: number
  readonly seed?: number
  readonly now?: () => number
  /** Stops live traffic early (Ctrl-C); what was sent is flushed. */
  readonly signal?: AbortSignal
  readonly onEvent?: (event: SimulationEvent) => void
}

export type SimulationEvent =
  | {
      readonly kind: 'analysis-created'
      /** The analysis' id, or the train's for a train scenario. */
      readonly analysisId: string
      readonly startMs: number
      readonly train: boolean
    }
  | { readonly kind: 'backfilled'; readonly requests: number; readonly minutes: number }
  | ({ readonly kind: 'verdict'; readonly changed: boolean } & VerdictSummary)
  | { readonly kind: 'finished'; readonly requests: number }

export interface SimulationResult {
  readonly analysisId: string
  readonly requests: number
  readonly verdict: VerdictSummary
}

const DEFAULT_POLL_INTERVAL_MS = 15_000
const TICK_MS = 1_000
const ONE_MINUTE_MS = 60_000

/**
 * Runs a scenario against a running release-health: creates the analysis through the API,
 * backfills history, then sends live traffic while polling the verdict.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const { scenario, api } = options
  const now = options.now ?? Date.now
  const emit = options.onEvent ?? (() => undefined)
  const random = createRandom(options.seed ?? 1)
  await api.assertReady()
  await assertReceiverAccepts(options.endpoint)

  const backfillEndMs = now()
  // Whole minutes, so the analysis starts where the rollup's first minute starts.
  const startMs = Math.floor((backfillEndMs - options.backfillMs) / ONE_MINUTE_MS) * ONE_MINUTE_MS
  const service = await createSimulatedService({ scenario, endpoint: options.endpoint })
  let requests = 0
  try {
    const partner = scenario.trainPartner
    const startTime = new Date(startMs).toISOString()
    const analysisId =
      partner === undefined
        ? await api.createAnalysis({
            service: scenario.service,
            environment: scenario.environment,
            ...scenario.analysis,
            startTime,
          })
        : await api.createTrain({
            name: `${scenario.name}-${startMs}`,
            environment: scenario.environment,
            startTime,
            members: [
              { service: scenario.service, ...scenario.analysis },
              { service: partner.service, ...partner.analysis },
            ],
          })
    const verdictOf = (id: string): Promise<VerdictSummary> =>
      partner === undefined ? api.verdict(id) : api.trainVerdict(id)
    emit({ kind: 'analysis-created', analysisId, startMs, train: partner !== undefined })

    const backfillMs = backfillEndMs - startMs
    const count = Math.round((options.ratePerSecond * backfillMs) / 1000)
    for (const startTimeMs of spreadStartTimes(startMs, backfillMs, count)) {
      await service.serve(planRequest(scenario, random, startTimeMs))
    }
    requests += count
    await service.flush()
    emit({ kind: 'backfilled', requests: count, minutes: Math.round(backfillMs / ONE_MINUTE_MS) })

    let verdict = await verdictOf(analysisId)
    emit({ kind: 'verdict', changed: true, ...verdict })

    const endMs = now() + options.durationMs
    const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
    const intervalMs = 1000 / options.ratePerSecond
    let nextRequestMs = now()
    let nextPollMs = now() + pollMs
    while (now() < endMs && options.signal?.aborted !== true) {
      for (; nextRequestMs <= now(); nextRequestMs += intervalMs, requests++) {
        await service.serve(planRequest(scenario, random, nextRequestMs))
      }
      if (now() >= nextPollMs) {
        nextPollMs += pollMs
        await service.flush()
        const next = await verdictOf(analysisId)
        emit({ kind: 'verdict', changed: next.decision !== verdict.decision, ...next })
        verdict = next
      }
      await pause(TICK_MS, options.signal)
    }
    await service.flush()
    if (options.durationMs > 0) verdict = await verdictOf(analysisId)
    emit({ kind: 'finished', requests })
    return { analysisId, requests, verdict }
  } finally {
    await service.close()
  }
}

/** Waits, or returns early once the signal aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal })
  } catch (error) {
    if (signal?.aborted !== true) throw error
  }
}
