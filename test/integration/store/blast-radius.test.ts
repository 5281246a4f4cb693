import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryBlastRadius } from '../../../src/store/blast-radius-queries.ts'
import { createStoreBlastRadiusMinutes } from '../../../src/store/blast-radius-repository.ts'
import { createStoreFrozenMinutes } from '../../../src/store/frozen-minutes-repository.ts'
import { insertRows } from '../../../src/store/insert-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createTrainsRepository } from '../../../src/store/trains-repository.ts'
import type { BlastRadiusQuery } from '../../../src/verdicts/blast-radius-source.ts'
import { createMigratedTestStore } from '../../helpers/store.ts'

const BASE_MS = Date.UTC(2026, 10, 23, 9, 0, 0)
const MINUTE_MS = 60_000
let store: Store
let spanCounter = 0

interface SpanSpec {
  readonly trace: string
  readonly service: string
  readonly release?: string
  readonly flags?: Record<string, string>
  readonly startMs: number
  readonly durationMs: number
  readonly error?: boolean
  readonly entry?: boolean
}

function toRow(span: SpanSpec): Record<string, unknown> {
  spanCounter++
  return {
    timestamp: (BigInt(span.startMs) * 1_000_000n).toString(),
    service: span.service,
    environment: 'production',
    release: span.release ?? '1.0.0',
    flags: span.flags ?? {},
    name: 'op',
    kind: span.entry === false ? 'client' : 'server',
    status_code: span.error === true ? 'error' : 'unset',
    status_message: '',
    http_status_code: span.error === true ? 500 : 200,
    http_route: '/',
    is_error: span.error === true ? 1 : 0,
    is_entry: span.entry === false ? 0 : 1,
    duration_ns: String(span.durationMs * 1_000_000),
    trace_id: span.trace.padStart(32, '0'),
    span_id: spanCounter.toString(16).padStart(16, '0'),
    parent_span_id: '',
    resource_attributes: {},
    span_attributes: {},
  }
}

/**
 * Minute 0: two traces through checkout 1.4.2 and two through 1.5.0. web calls checkout
 * (caller), checkout calls payment (callee). payment fails on one canary trace. One trace
 * passes through both releases (a retry landing on the other pod): it identifies neither.
 * Minute 1: one canary trace whose payment span starts 50 s later (a queue), still joined.
 */
beforeAll(async () => {
  store = await createMigratedTestStore()
  const spans: SpanSpec[] = []
  const request = (trace: string, release: string, atMs: number, paymentError = false) => {
    spans.push({ trace, service: 'web', startMs: atMs - 5, durationMs: 60 })
    spans.push({ trace, service: 'checkout', release, startMs: atMs, durationMs: 40 })
    spans.push({
      trace,
      service: 'checkout',
      release,
      startMs: atMs + 1,
      durationMs: 5,
      entry: false,
    })
    spans.push({
      trace,
      service: 'payment',
      startMs: atMs + 2,
      durationMs: 20,
      error: paymentError,
    })
  }
  request('b1', '1.4.2', BASE_MS + 1_000)
  request('b2', '1.4.2', BASE_MS + 2_000)
  request('c1', '1.5.0', BASE_MS + 3_000, true)
  request('c2', '1.5.0', BASE_MS + 4_000)
  request('x1', '1.4.2', BASE_MS + 5_000)
  spans.push({
    trace: 'x1',
    service: 'checkout',
    release: '1.5.0',
    startMs: BASE_MS + 6_000,
    durationMs: 1,
  })
  spans.push({
    trace: 'c3',
    service: 'checkout',
    release: '1.5.0',
    startMs: BASE_MS + MINUTE_MS + 5_000,
    durationMs: 55_000,
  })
  spans.push({
    trace: 'c3',
    service: 'payment',
    startMs: BASE_MS + MINUTE_MS + 55_000,
    durationMs: 10,
  })
  // A trace that never reached checkout: not on anyone's blast radius.
  spans.push({
    trace: 'zz',
    service: 'payment',
    startMs: BASE_MS + 7_000,
    durationMs: 10,
    error: true,
  })
  await insertRows(store, {
    table: 'spans',
    rows: spans.map(toRow),
    deduplicationToken: 'blast-radius-test-spans',
  })
})

afterAll(async () => {
  await store?.close()
})

const query: BlastRadiusQuery = {
  service: 'checkout',
  environment: 'production',
  baseline: { release: '1.4.2' },
  canary: { release: '1.5.0' },
  fromMs: BASE_MS,
  toMs: BASE_MS + 2 * MINUTE_MS,
  latencySamplesPerMinute: 100,
}

describe('queryBlastRadius', () => {
  it('joins other services to each cohort by trace id, minute by minute, with their roles', async () => {
    const rows = await queryBlastRadius(store, query)
    const view = rows.map((row) => [
      (row.startMs - BASE_MS) / MINUTE_MS,
      row.cohort,
      row.service,
      row.role,
      row.requests,
      row.errors,
    ])
    expect(view).toEqual([
      [0, 'baseline', '', '', 2, 0],
      [0, 'canary', '', '', 2, 0],
      [1, 'canary', '', '', 1, 0],
      [0, 'baseline', 'payment', 'callee', 2, 0],
      [0, 'baseline', 'web', 'caller', 2, 0],
      [0, 'canary', 'payment', 'callee', 2, 1],
      [0, 'canary', 'web', 'caller', 2, 0],
      [1, 'canary', 'payment', 'callee', 1, 0],
    ])
    const payment = rows.find((row) => row.service === 'payment' && row.cohort === 'baseline')
    expect(payment?.latencyMs).toEqual([20, 20])
  })

  it('selects flag variants too, and takes hostile values as data', async () => {
    const hostile = {
      ...query,
      baseline: { release: "1.4.2' OR 1=1 --" },
      canary: { flag: { key: "k']", variant: '\\' } },
    }
    expect(await queryBlastRadius(store, hostile)).toEqual([])
  })

  it('answers nothing for an empty window', async () => {
    expect(await queryBlastRadius(store, { ...query, toMs: query.fromMs })).toEqual([])
  })
})

describe('the blast-radius minutes and frozen minutes', () => {
  it('keeps the first freeze of a minute under any key, quotes and slashes included', async () => {
    const minutes = createStoreBlastRadiusMinutes(store)
    const key = "train-1/0'\\"
    const row = {
      startMs: BASE_MS,
      cohort: 'canary' as const,
      service: 'payment',
      role: 'callee' as const,
      requests: 5,
      errors: 1,
      latencyMs: [1, 2],
    }
    expect(await minutes.save(key, [row], BASE_MS + 1)).toEqual([row])
    // A second replica freezing the same minute later gets the first one's rows.
    expect(await minutes.save(key, [{ ...row, errors: 4 }], BASE_MS + 2)).toEqual([row])
    expect(await minutes.load(key)).toEqual([row])

    const frozen = createStoreFrozenMinutes(store)
    const minute = { startMs: BASE_MS, requests: 3, errors: 0, latencyMs: [1] }
    expect(await frozen.save(key, 'baseline', [minute], BASE_MS)).toEqual([minute])
  })
})

describe('the trains table', () => {
  it('keeps versions and replays the one in force at a time, and finds trains by member service', async () => {
    const trains = createTrainsRepository(store)
    const train = {
      id: 'train-1',
      version: 1,
      createdAtMs: BASE_MS,
      name: 'release-42',
      environment: 'production',
      startMs: BASE_MS,
      members: [
        {
          service: 'checkout',
          environment: 'production',
          baseline: { release: '1' },
          canary: { release: '2' },
        },
      ],
      policy: { alpha: 0.05 },
    }
    await trains.save(train)
    await trains.save({
      ...train,
      version: 2,
      createdAtMs: BASE_MS + MINUTE_MS,
      policy: { alpha: 0.01 },
    })
    expect((await trains.find('train-1'))?.policy).toEqual({ alpha: 0.01 })
    expect((await trains.find('train-1', BASE_MS + 1))?.version).toBe(1)
    expect((await trains.list({ service: 'checkout', limit: 10 })).map((t) => t.version)).toEqual([
      2,
    ])
    expect(await trains.list({ service: "checkout' OR 1=1", limit: 10 })).toEqual([])
  })
})
