import { describe, expect, it } from 'vitest'
import {
  BLAST_RADIUS_CHUNK_MINUTES,
  createBlastRadius,
} from '../../../src/verdicts/blast-radius.ts'
import type { BlastRadiusQuery } from '../../../src/verdicts/blast-radius-source.ts'

const MINUTE = 60_000

describe('createBlastRadius', () => {
  it('reads no minute after the analysis’ maximum duration, however long ago it started', async () => {
    const asked: BlastRadiusQuery[] = []
    const blastRadius = createBlastRadius({
      source: {
        fetchBlastRadius: (query) => {
          asked.push(query)
          return Promise.resolve([])
        },
      },
    })
    const nowMs = Date.UTC(2026, 10, 26, 8, 0, 0)
    // Created with a start in 1970: without the bound this reads 29 million minutes.
    const result = await blastRadius.related(
      'old',
      {
        service: 'checkout',
        environment: '',
        baseline: { release: '1' },
        canary: { release: '2' },
        startMs: 0,
        latencySamplesPerMinute: 50,
        maxDurationMs: 2 * 3_600_000,
      },
      { watermarkMs: nowMs, nowMs },
    )
    expect(result.ok).toBe(true)
    expect(asked).toHaveLength(120 / BLAST_RADIUS_CHUNK_MINUTES)
    expect(Math.max(...asked.map((query) => query.toMs))).toBe(120 * MINUTE)
  })
})
