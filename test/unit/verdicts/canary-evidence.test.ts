import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, type MinuteCounts } from '../../../src/analysis/index.ts'
import { silentLogger } from '../../../src/logger.ts'
import { createCanaryEvidence } from '../../../src/verdicts/canary-evidence.ts'

const MINUTE = 60_000

describe('createCanaryEvidence', () => {
  it('freezes no minute after the analysis’ maximum duration, however long ago it started', async () => {
    const frozen: MinuteCounts[] = []
    const nowMs = Date.UTC(2026, 10, 26, 8, 0, 0)
    const evidence = createCanaryEvidence({
      cohorts: {
        fetchCohort: () =>
          Promise.resolve({
            ok: true,
            data: { requests: 0, errors: 0, latencyMs: new Float64Array(), minutes: [] },
          }),
      },
      now: () => nowMs,
      logger: silentLogger,
      ingestLagMs: 30_000,
      maxLatencySamples: 20_000,
      maxKeys: 10,
      frozenMinutes: {
        load: () => Promise.resolve([]),
        save: (_id, _cohort, minutes) => {
          frozen.push(...minutes)
          return Promise.resolve(minutes)
        },
      },
    })
    // Created with a start in 1970: without the bound this freezes 29 million empty minutes.
    const read = await evidence.read(
      {
        key: 'old',
        service: 'checkout',
        environment: '',
        baseline: { release: '1' },
        canary: { release: '2' },
        startMs: 0,
      },
      DEFAULT_POLICY,
      nowMs,
    )
    expect(read.canary.ok).toBe(true)
    const maxMinutes = DEFAULT_POLICY.analysis.maxDurationSeconds / 60
    expect(frozen).toHaveLength(2 * maxMinutes)
    expect(Math.max(...frozen.map((minute) => minute.startMs))).toBe((maxMinutes - 1) * MINUTE)
  })
})
