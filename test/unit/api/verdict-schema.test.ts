import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { judge, parsePolicy, type MinuteCounts } from '../../../src/analysis/index.ts'
import { verdictBody } from '../../../src/api/schemas.ts'
import type { VerdictDocument } from '../../../src/verdicts/verdict-service.ts'
import { createRandom } from '../../../src/simulate/seeded-random.ts'

/** A cohort's minutes with binomial-ish noise and a per-minute latency sample. */
function minutes(count: number, requests: number, errorRate: number, seed: number): MinuteCounts[] {
  const random = createRandom(seed)
  return Array.from({ length: count }, (_, i) => ({
    startMs: i * 60_000,
    requests,
    errors: Math.round(requests * errorRate * (0.5 + random())),
    latencyMs: Array.from({ length: 250 }, () => 50 + 200 * random() ** 3),
  }))
}

function snapshot(list: MinuteCounts[]) {
  return {
    requests: list.reduce((sum, minute) => sum + minute.requests, 0),
    errors: list.reduce((sum, minute) => sum + minute.errors, 0),
    latencyMs: [],
    minutes: list,
  }
}

/** A verdict document as the service serves it: a rollback decided by the error-rate rule. */
function verdictDocument(): VerdictDocument {
  const verdict = judge({
    policy: parsePolicy({ slo: { availability: 0.99 } }),
    baseline: { ok: true, data: snapshot(minutes(40, 4000, 0.01, 1)) },
    canary: { ok: true, data: snapshot(minutes(40, 1000, 0.04, 2)) },
    startMs: 0,
    evaluatedAtMs: 40 * 60_000 + 30_000,
    ingestLagMs: 30_000,
  })
  return {
    ...verdict,
    analysisId: 'a1',
    evaluatedAt: new Date(40 * 60_000 + 30_000).toISOString(),
    window: { from: new Date(0).toISOString(), to: new Date(40 * 60_000 + 30_000).toISOString() },
    watermark: new Date(40 * 60_000).toISOString(),
    lateData: {
      baseline: { minutes: 0, requests: 0, errors: 0 },
      canary: { minutes: 1, requests: 12, errors: 3 },
    },
  }
}

describe('verdictBody', () => {
  it('describes the watermark, late data, the deciding rule, dispersion and the budget windows', () => {
    const properties = verdictBody.properties
    expect(Object.keys(properties)).toEqual(
      expect.arrayContaining(['watermark', 'lateData', 'budget', 'missing', 'sampleRatio']),
    )
    expect(Object.keys(properties.metrics.items.properties)).toEqual(
      expect.arrayContaining(['decidedBy', 'dispersion', 'floor', 'nonInferiorityEValue']),
    )
    expect(Object.keys(properties.budget.properties.windows.items.properties)).toEqual(
      expect.arrayContaining(['baselineMissing', 'belowEValue', 'belowEvident', 'tripped']),
    )
  })

  it('serializes a real verdict through the API schema without dropping or changing a field', async () => {
    const document = verdictDocument()
    expect(document.decision).toBe('rollback')
    expect(document.metrics[0]?.decidedBy).not.toBeNull()
    expect(document.metrics[0]?.dispersion?.units).toBe(40)
    const app = Fastify()
    app.get('/verdict', { schema: { response: { 200: verdictBody } } }, () => document)
    const response = await app.inject({ method: 'GET', url: '/verdict' })
    await app.close()
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(JSON.parse(JSON.stringify(document)))
  })
})
