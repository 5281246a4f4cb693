import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertRows } from '../../../src/store/insert-rows.ts'
import {
  queryLatencySample,
  queryLatencySampleByMinute,
  queryMinuteCounts,
  queryRawLatencyRows,
} from '../../../src/store/cohort-queries.ts'
import type { Store } from '../../../src/store/store-client.ts'
import type { CohortQuery, CohortSelector } from '../../../src/verdicts/analysis-definition.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

const BASE_MS = Date.UTC(2026, 10, 20, 10, 0, 0)
const SPAN_COUNT = 3_000
let store: Store

beforeAll(async () => {
  store = await createMigratedTestStore()
  // Spans over 30 minutes at irregular offsets, two releases, two environments, a flag.
  const rows = Array.from({ length: SPAN_COUNT }, (_, index) => {
    const offsetMs = Math.floor((index * 7_919) % (30 * 60_000)) + (index % 997)
    return {
      timestamp: (BigInt(BASE_MS + offsetMs) * 1_000_000n).toString(),
      service: 'cart',
      environment: index % 3 === 0 ? 'staging' : 'production',
      release: index % 2 === 0 ? '1.0' : '1.1',
      flags: index % 5 === 0 ? {} : { 'fast-cart': index % 4 === 0 ? 'on' : 'off' },
      name: 'GET /cart',
      kind: 'server',
      status_code: 'unset',
      status_message: '',
      http_status_code: 200,
      http_route: '/cart',
      is_error: index % 13 === 0 ? 1 : 0,
      is_entry: index % 11 === 0 ? 0 : 1,
      duration_ns: String(1_000_000 + index * 1_000),
      trace_id: index.toString(16).padStart(32, '0'),
      span_id: index.toString(16).padStart(16, '0'),
      parent_span_id: '',
      resource_attributes: {},
      span_attributes: {},
    }
  })
  await insertRows(store, { table: 'spans', rows, deduplicationToken: 'cohort-queries' })
})
afterAll(() => store.close())

/** The same counts straight from raw spans, the obviously right way. */
async function rawTotals(query: CohortQuery): Promise<{ requests: number; errors: number }> {
  const conditions = [
    "service = 'cart'",
    'is_entry = 1',
    'toUnixTimestamp64Milli(timestamp) >= {from:Int64}',
    'toUnixTimestamp64Milli(timestamp) < {to:Int64}',
  ]
  if (query.environment !== '') conditions.push('environment = {env:String}')
  if (query.selector.release !== undefined) conditions.push('release = {release:String}')
  if (query.selector.flag !== undefined) conditions.push("flags['fast-cart'] = {variant:String}")
  const [row] = await queryRows<{ requests: string; errors: string }>(
    store,
    `SELECT count() AS requests, sum(is_error) AS errors FROM ${store.database}.spans WHERE ${conditions.join(' AND ')}`,
    {
      from: query.fromMs,
      to: query.toMs,
      env: query.environment,
      release: query.selector.release ?? '',
      variant: query.selector.flag?.variant ?? '',
    },
  )
  return { requests: Number(row?.requests), errors: Number(row?.errors) }
}

const selectors: fc.Arbitrary<CohortSelector> = fc.oneof(
  fc.constantFrom('1.0', '1.1').map((release) => ({ release })),
  fc.constantFrom('on', 'off').map((variant) => ({ flag: { key: 'fast-cart', variant } })),
  fc
    .tuple(fc.constantFrom('1.0', '1.1'), fc.constantFrom('on', 'off'))
    .map(([release, variant]) => ({ release, flag: { key: 'fast-cart', variant } })),
)

describe('queryMinuteCounts', () => {
  it('adds up to exactly the raw counts for any window, cohort and environment', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -120_000, max: 32 * 60_000 }),
        fc.integer({ min: 0, max: 32 * 60_000 }),
        selectors,
        fc.constantFrom('', 'production', 'staging'),
        async (fromOffsetMs, lengthMs, selector, environment) => {
          const query: CohortQuery = {
            service: 'cart',
            environment,
            selector,
            fromMs: BASE_MS + fromOffsetMs,
            toMs: BASE_MS + fromOffsetMs + lengthMs,
            latencySamplesPerMinute: 100,
          }
          const minutes = await queryMinuteCounts(store, query)
          const total = minutes.reduce(
            (sum, minute) => ({
              requests: sum.requests + minute.requests,
              errors: sum.errors + minute.errors,
            }),
            { requests: 0, errors: 0 },
          )
          expect(total).toEqual(await rawTotals(query))
          expect(minutes.map((minute) => minute.startMs)).toEqual(
            [...minutes.map((minute) => minute.startMs)].sort((a, b) => a - b),
          )
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('queryLatencySample', () => {
  const query: CohortQuery = {
    service: 'cart',
    environment: '',
    selector: { release: '1.0' },
    fromMs: BASE_MS,
    toMs: BASE_MS + 31 * 60_000,
    latencySamplesPerMinute: 20,
  }

  it('takes the quota from each minute when thinning, and no more', async () => {
    const thin = { ...query, latencySamplesPerMinute: 3 }
    const sample = await queryLatencySample(store, thin, await queryMinuteCounts(store, thin))
    expect(sample.length).toBeLessThanOrEqual(3 * 31)
    expect(sample.length).toBeGreaterThanOrEqual(3 * 29)
  })

  it('takes at most the quota from each minute, and the same sample every time', async () => {
    const sample = await queryLatencySample(store, query, await queryMinuteCounts(store, query))
    expect(sample.length).toBeLessThanOrEqual(20 * 31)
    expect(sample.length).toBeGreaterThan(20 * 25)
    expect(await queryLatencySample(store, query, await queryMinuteCounts(store, query))).toEqual(
      sample,
    )
  })

  it('only grows as the window grows, so each look contains the looks before it', async () => {
    const look = (minutes: number): CohortQuery => ({
      ...query,
      toMs: BASE_MS + minutes * 60_000 + 30_000,
    })
    const counts = (values: number[]) =>
      values.reduce(
        (map, value) => map.set(value, (map.get(value) ?? 0) + 1),
        new Map<number, number>(),
      )
    let previous = new Map<number, number>()
    for (let minutes = 1; minutes <= 31; minutes += 5) {
      const current = counts(
        await queryLatencySample(
          store,
          look(minutes),
          await queryMinuteCounts(store, look(minutes)),
        ),
      )
      for (const [value, count] of previous)
        expect(current.get(value) ?? 0).toBeGreaterThanOrEqual(count)
      previous = current
    }
  })

  it('leaves out the minute in progress', async () => {
    const look = { ...query, toMs: BASE_MS + 30_000 }
    const halfMinute = await queryLatencySample(store, look, await queryMinuteCounts(store, look))
    expect(halfMinute).toEqual([])
  })

  it('returns every latency of a cohort quieter than the quota', async () => {
    const quiet = { ...query, latencySamplesPerMinute: 10_000 }
    const all = await queryLatencySample(store, quiet, await queryMinuteCounts(store, quiet))
    const { requests } = await rawTotals(query)
    expect(all).toHaveLength(requests)
  })
})

describe('the kept per-minute latency sample', () => {
  it('gives the sample of raw spans, span for span, for any window, cohort, environment and quota', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -120_000, max: 30 * 60_000 }),
        fc.integer({ min: 60_000, max: 33 * 60_000 }),
        selectors,
        fc.constantFrom('', 'production', 'staging'),
        fc.integer({ min: 1, max: 256 }),
        async (fromOffsetMs, lengthMs, selector, environment, perMinute) => {
          const query: CohortQuery = {
            service: 'cart',
            environment,
            selector,
            fromMs: BASE_MS + fromOffsetMs,
            toMs: BASE_MS + fromOffsetMs + lengthMs,
            latencySamplesPerMinute: perMinute,
          }
          const minutes = await queryMinuteCounts(store, query)
          const complete = minutes.filter(
            (minute) =>
              minute.startMs < Math.floor(query.toMs / 60_000) * 60_000 && minute.requests > 0,
          )
          const raw = await queryRawLatencyRows(
            store,
            query,
            complete,
            query.fromMs,
            Math.floor(query.toMs / 60_000) * 60_000,
          )
          const byMinute = await queryLatencySampleByMinute(store, query, minutes)
          const expected = new Map<number, number[]>()
          for (const row of raw) {
            const startMs = Number(row.minute_s) * 1000
            expected.set(startMs, [...(expected.get(startMs) ?? []), Number(row.latency_ms)])
          }
          const sorted = (map: Map<number, number[]>) =>
            [...map].map(([startMs, values]) => [startMs, [...values].sort((a, b) => a - b)])
          expect(sorted(byMinute).sort()).toEqual(sorted(expected).sort())
        },
      ),
      { numRuns: 40 },
    )
  })
})
