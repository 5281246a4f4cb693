import { RhError } from '../errors.ts'
import type { CohortSelector } from '../verdicts/analysis-definition.ts'

/** The part of release-health's HTTP API a simulation uses, as a rollout controller would. */
export interface VerdictApiClient {
  /** Fails with a message saying how to start the server when it does not answer. */
  assertReady(): Promise<void>
  createAnalysis(input: NewAnalysisRequest): Promise<string>
  verdict(analysisId: string): Promise<VerdictSummary>
  /** A release train of several services' canaries (`POST /api/v1/trains`); its id. */
  createTrain(input: NewTrainRequest): Promise<string>
  trainVerdict(trainId: string): Promise<VerdictSummary>
}

export interface NewTrainRequest {
  readonly name: string
  readonly environment: string
  readonly startTime: string
  readonly members: readonly Omit<NewAnalysisRequest, 'environment' | 'startTime'>[]
}

export interface NewAnalysisRequest {
  readonly service: string
  readonly environment: string
  readonly baseline: CohortSelector
  readonly canary: CohortSelector
  readonly startTime: string
}

export interface VerdictSummary {
  readonly decision: string
  readonly reasons: readonly string[]
}

export function createVerdictApiClient(apiUrl: string): VerdictApiClient {
  const base = apiUrl.replace(/\/$/, '')
  return {
    async assertReady() {
      const response = await fetch(`${base}/readyz`).catch((error: unknown) => {
        throw new RhError(
          'RH_CONFIG_INVALID',
          `no release-health API answers at ${base} (${String(error)}); start it with \`npm start\` or pass --api`,
        )
      })
      if (response.status !== 200) {
        throw new RhError(
          'RH_CONFIG_INVALID',
          `release-health at ${base} is not ready: ${await response.text()}`,
        )
      }
    },

    async createAnalysis(input) {
      const response = await fetch(`${base}/api/v1/analyses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      })
      if (response.status !== 201) {
        throw new Error(
          `creating the analysis failed (${response.status}): ${await response.text()}`,
        )
      }
      return ((await response.json()) as { id: string }).id
    },

    async createTrain(input) {
      const response = await fetch(`${base}/api/v1/trains`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      })
      if (response.status !== 201) {
        throw new Error(`creating the train failed (${response.status}): ${await response.text()}`)
      }
      return ((await response.json()) as { id: string }).id
    },

    async trainVerdict(trainId) {
      const path = `/api/v1/trains/${encodeURIComponent(trainId)}/verdict`
      const response = await fetch(`${base}${path}?requester=release-health-simulate`)
      if (response.status !== 200) {
        throw new Error(`the verdict request failed (${response.status}): ${await response.text()}`)
      }
      return (await response.json()) as VerdictSummary
    },

    async verdict(analysisId) {
      // Named as a controller, so that every poll is recorded and the verdict timeline fills.
      const path = `/api/v1/analyses/${encodeURIComponent(analysisId)}/verdict`
      const response = await fetch(`${base}${path}?requester=release-health-simulate`)
      if (response.status !== 200) {
        throw new Error(`the verdict request failed (${response.status}): ${await response.text()}`)
      }
      return (await response.json()) as VerdictSummary
    },
  }
}
