import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/logger.ts'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import {
  queryLatencySample,
  queryLatencySampleByMinute,
  queryMinuteCounts,
} from '../../../src/store/cohort-queries.ts'
import { createStoreFrozenMinutes } from '../../../src/store/frozen-minutes-repository.ts'
import { insertRows } from '../../../src/store/insert-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createStoreCohortSource } from '../../../src/store/store-cohort-source.ts'
import type { CohortQuery } from '../../../src/verdicts/analysis-definition.ts'
import { IN_MEMORY_ONLY } from '../../../src/verdicts/frozen-minutes.ts'
import {
  createVerdictService,
  type VerdictDocument,
  type VerdictServiceOptions,
} from '../../../src/verdicts/verdict-service.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

const BASE_MS = Date.UTC(2026, 10, 23, 9, 0, 0)
const MINUTE_MS = 60_000
const SPANS_PER_MINUTE = 40
let store: Store
let batch = 0

/**
 * Entry spans of one release in one minute; durations encode the minute (minute·1000 + i ms),
 * so a latency shows which minute it came from.
 */
async function insertSpans(
  release: string,
  minute: number,
  options: { count: number; errorEvery: number; offsetMs?: number },
): Promise<void> {
  const rows = Array.from({ length: options.count }, (_, index) => {
    const timestampMs = BASE_MS + minute * MINUTE_MS + (options.offsetMs ?? 0) + index * 1_000
    const id = `${release}-${minute}-${batch}-${index}`
    return {
      timestamp: (BigInt(timestampMs) * 1_000_000n + BigInt(index)).toString(),
      service: 'checkout',
      environment: 'production',
      release,
      flags: {},
      name: 'POST /pay',
      kind: 'server',
      status_code: index % options.errorEvery === 0 ? 'error' : 'unset',
      status_message: '',
      http_status_code: index % options.errorEvery === 0 ? 500 : 200,
      http_route: '/pay',
      is_error: index % options.errorEvery === 0 ? 1 : 0,
      is_entry: 1,
      duration_ns: String((minute * 1_000 + index) * 1_000_000),
      trace_id: Buffer.from(id).toString('hex').padStart(32, '0').slice(-32),
      span_id: Buffer.from(id).toString('hex').padStart(16, '0').slice(-16),
      parent_span_id: '',
      resource_attributes: {},
      span_attributes: {},
    }
  })
  batch++
  await insertRows(store, { table: 'spans', rows, deduplicationToken: `frozen-test-${batch}` })
}

beforeAll(async () => {
  store = await createMigratedTestStore()
  for (let minute = 0; minute < 10; minute++) {
    await insertSpans('1.0', minute, { count: SPANS_PER_MINUTE, errorEvery: 20 })
    await insertSpans('1.1', minute, { count: SPANS_PER_MINUTE, errorEvery: 10 })
  }
})
afterAll(() => store.close())

describe('queryLatencySampleByMinute', () => {
  const query: CohortQuery = {
    service: 'checkout',
    environment: 'production',
    selector: { release: '1.1' },
    fromMs: BASE_MS,
    toMs: BASE_MS + 6 * MINUTE_MS + 30_000,
    latencySamplesPerMinute: 15,
  }

  it("keeps each complete minute's sample under that minute, the minute in progress left out", async () => {
    const minutes = await queryMinuteCounts(store, query)
    const byMinute = await queryLatencySampleByMinute(store, query, minutes)
    expect([...byMinute.keys()].sort((a, b) => a - b)).toEqual(
      [0, 1, 2, 3, 4, 5].map((minute) => BASE_MS + minute * MINUTE_MS),
    )
    for (const [startMs, sample] of byMinute) {
      const minute = (startMs - BASE_MS) / MINUTE_MS
      expect(sample.length).toBeGreaterThan(0)
      expect(sample.length).toBeLessThanOrEqual(15)
      for (const latencyMs of sample) expect(Math.floor(latencyMs / 1_000)).toBe(minute)
    }
  })

  it('holds the same latencies as the flat sample, split by minute', async () => {
    const minutes = await queryMinuteCounts(store, query)
    const byMinute = await queryLatencySampleByMinute(store, query, minutes)
    const flat = await queryLatencySample(store, query, minutes)
    expect([...byMinute.values()].flat().sort((a, b) => a - b)).toEqual(
      [...flat].sort((a, b) => a - b),
    )
  })
})

describe('frozen minutes in the store', () => {
  let clockMs = BASE_MS
  const requester = { name: 'test', isController: false }
  const service = (overrides: Partial<VerdictServiceOptions> = {}) =>
    createVerdictService({
      repository: createAnalysesRepository(store),
      cohorts: createStoreCohortSource(store, silentLogger),
      now: () => clockMs,
      cacheMs: 0,
      ingestLagMs: 30_000,
      frozenMinutes: createStoreFrozenMinutes(store),
      ...overrides,
    })
  const canaryErrors = (document: VerdictDocument | undefined): number | undefined =>
    document?.metrics.find((metric) => metric.name === 'error-rate')?.canary.errors ?? undefined

  it('reads the minutes used before a restart back, so late spans reach the audit and not the test', async () => {
    const first = service()
    const analysis = await first.create({
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.0' },
      canary: { release: '1.1' },
      startTime: new Date(BASE_MS).toISOString(),
    })
    // Watermark 09:06: minutes 0-5 freeze.
    clockMs = BASE_MS + 6 * MINUTE_MS + 30_000
    const before = await first.evaluate(analysis.id, { requester })
    expect(before?.watermark).toBe(new Date(BASE_MS + 6 * MINUTE_MS).toISOString())
    const frozenRows = await queryRows<{ cohort: string; minutes: string; errors: string }>(
      store,
      `SELECT cohort, count() AS minutes, sum(errors) AS errors FROM ${store.database}.frozen_minutes
       WHERE analysis_id = {id:String} GROUP BY cohort ORDER BY cohort`,
      { id: analysis.id },
    )
    expect(frozenRows).toEqual([
      { cohort: 'baseline', minutes: '6', errors: String(6 * 2) },
      { cohort: 'canary', minutes: '6', errors: String(6 * 4) },
    ])

    // Ten failed canary requests arrive late for minute 2, and the service restarts.
    await insertSpans('1.1', 2, { count: 10, errorEvery: 1, offsetMs: 500 })
    clockMs = BASE_MS + 8 * MINUTE_MS + 30_000
    const restarted = await service().evaluate(analysis.id, { requester })
    expect(restarted?.lateData.canary).toEqual({ minutes: 1, requests: 10, errors: 10 })
    expect(restarted?.lateData.baseline).toEqual({ minutes: 0, requests: 0, errors: 0 })
    // Minutes 0-7 with 4 errors each as frozen (the late ten left out), and the half minute
    // in progress with 3.
    expect(canaryErrors(restarted)).toBe(8 * 4 + 3)

    // Kept in memory only, a restart would have frozen minute 2 again with the late spans.
    const forgetful = await service({
      frozenMinutes: IN_MEMORY_ONLY,
    }).evaluate(analysis.id, { requester })
    expect(forgetful?.lateData.canary.minutes).toBe(0)
    expect(canaryErrors(forgetful)).toBe(8 * 4 + 3 + 10)
  })
})

describe('createStoreFrozenMinutes', () => {
  it('keeps the first frozen counts and sample of a minute that two replicas saved', async () => {
    const frozen = createStoreFrozenMinutes(store)
    const minute = { startMs: BASE_MS, requests: 40, errors: 2, latencyMs: [1.5, 2.25] }
    expect(await frozen.save('replicated', 'canary', [minute], BASE_MS + 61_000)).toEqual([minute])
    const second = await frozen.save(
      'replicated',
      'canary',
      [
        { ...minute, errors: 7 },
        { startMs: BASE_MS + MINUTE_MS, requests: 0, errors: 0 },
      ],
      BASE_MS + 62_000,
    )
    expect(second).toEqual([minute, { startMs: BASE_MS + MINUTE_MS, requests: 0, errors: 0 }])
    expect(await frozen.load('replicated', 'canary')).toEqual(second)
    expect(await frozen.load('replicated', 'baseline')).toEqual([])
  })
})
