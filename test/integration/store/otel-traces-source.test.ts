import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { queryChanges } from '../../../src/store/series-queries.ts'
import { otelSpansTables } from '../../../src/store/otel-traces.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildTracePayload, type PayloadSpanSpec } from '../../helpers/otel-payloads.ts'
import {
  insertOtelTraces,
  otelTracesDdl,
  toOtelTracesRows,
} from '../../helpers/otel-traces-table.ts'
import { queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

// The same spans reach release-health twice: over OTLP into its own tables (one server), and
// as the Collector's ClickHouse exporter would have written them into `otel_traces` (another
// server, configured with clickhouse.otelTraces.table). Both must give the same verdicts.
const FROM_MS = Date.UTC(2026, 10, 20, 10, 0, 0)
const TO_MS = FROM_MS + 20 * 60_000
const NOW_MS = TO_MS + 2 * 60_000

const otelDatabase = uniqueName('otel')
const otelTable = `${otelDatabase}.otel_traces`
let ingesting: RunningApp
let reading: RunningApp

interface Cohort {
  readonly service: string
  readonly release: string
  readonly flags?: Record<string, string>
  readonly failEvery: number
  readonly extraLatencyMs: number
}

function cohortSpans(cohort: Cohort, requests: number): PayloadSpanSpec[] {
  return Array.from({ length: requests }, (_, index) => {
    const startMs = FROM_MS + ((TO_MS - FROM_MS) * index) / requests
    const failed = index % cohort.failEvery === 0
    const span: PayloadSpanSpec = {
      name: 'GET /items',
      kind: 'server',
      startTimeUnixNano: BigInt(Math.floor(startMs)) * 1_000_000n + BigInt(index % 997),
      durationNs: BigInt(Math.round((20 + (index % 41) + cohort.extraLatencyMs) * 1_000_000)),
      attributes: { 'http.route': '/items', 'http.response.status_code': failed ? 500 : 200 },
      ...(cohort.flags === undefined ? {} : { flags: cohort.flags }),
    }
    return span
  })
}

async function sendBoth(cohort: Cohort, requests: number, style: 'enum' | 'short'): Promise<void> {
  const spans = cohortSpans(cohort, requests)
  // An internal child span per request: not an entry span, judged by neither.
  const children: PayloadSpanSpec[] = spans.map((_, index) => ({
    name: 'SELECT items',
    kind: 'client',
    parentIndex: index,
    durationNs: 1_000_000n,
    startTimeUnixNano: spans[index]!.startTimeUnixNano!,
  }))
  const payload = buildTracePayload({
    service: cohort.service,
    release: cohort.release,
    environment: 'production',
    spans: [...spans, ...children],
  })
  const response = await fetch(`${ingesting.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    body: payload.protobuf,
    headers: { 'content-type': 'application/x-protobuf' },
  })
  expect(response.status).toBe(200)
  await insertOtelTraces(reading.store, otelTable, toOtelTracesRows(payload.spans, style))
}

beforeAll(async () => {
  ingesting = await startTestApp({}, { now: () => NOW_MS })
  await ingesting.store.client.command({ query: `CREATE DATABASE ${otelDatabase}` })
  await ingesting.store.client.command({ query: otelTracesDdl(otelTable) })
  reading = await startTestApp({ 'clickhouse.otelTraces.table': otelTable }, { now: () => NOW_MS })

  // A canary release that fails more and is slower; two flag variants inside one release.
  await sendBoth(
    { service: 'checkout', release: '1.0', failEvery: 200, extraLatencyMs: 0 },
    3000,
    'enum',
  )
  await sendBoth(
    { service: 'checkout', release: '1.1', failEvery: 8, extraLatencyMs: 15 },
    3000,
    'short',
  )
  for (const [variant, failEvery] of [
    ['off', 150],
    ['on', 140],
  ] as const) {
    await sendBoth(
      {
        service: 'cart',
        release: '2.0',
        flags: { 'new-cart': variant },
        failEvery,
        extraLatencyMs: 0,
      },
      2500,
      variant === 'on' ? 'short' : 'enum',
    )
  }
  // OTLP answers once the spans are queued for the writer: wait until they are stored.
  await waitFor(
    async () => {
      const [row] = await queryRows<{ rows: string }>(
        ingesting.store,
        `SELECT count() AS rows FROM ${ingesting.store.database}.spans`,
      )
      return Number(row?.rows) === 2 * 11_000 ? true : undefined
    },
    { what: 'the OTLP spans to be stored' },
  )
}, 120_000)

afterAll(async () => {
  await reading?.stop()
  await ingesting?.stop()
})

async function createAnalysis(app: RunningApp, analysis: object): Promise<string> {
  const created = await fetch(`${app.apiUrl}/api/v1/analyses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...analysis, startTime: new Date(FROM_MS).toISOString() }),
  })
  expect(created.status).toBe(201)
  const { id } = (await created.json()) as { id: string }
  return id
}

async function verdictOf(app: RunningApp, analysis: object): Promise<Record<string, unknown>> {
  const id = await createAnalysis(app, analysis)
  const verdict = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
  expect(verdict.status).toBe(200)
  // The two servers' analyses differ only in their ids.
  const document = (await verdict.json()) as Record<string, unknown>
  delete document.analysisId
  return document
}

describe('a span source over the Collector ClickHouse exporter table otel_traces', () => {
  it('sees the spans the exporter wrote as the spans release-health ingested, entry spans only', async () => {
    const counts = async (table: string) =>
      queryRows<{ service: string; release: string; requests: string; errors: string }>(
        ingesting.store,
        `SELECT service, release, count() AS requests, sum(is_error) AS errors FROM ${table}
         WHERE is_entry = 1 GROUP BY service, release ORDER BY service, release`,
      )
    const own = await counts(`${ingesting.store.database}.spans`)
    expect(own.map((row) => Number(row.requests))).toEqual([5000, 3000, 3000])
    expect(await counts(`${reading.store.database}.otel_spans`)).toEqual(own)
  })

  it('gives the same verdict for two releases as the same spans ingested over OTLP', async () => {
    const analysis = {
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.0' },
      canary: { release: '1.1' },
    }
    const fromOtlp = await verdictOf(ingesting, analysis)
    const fromOtelTraces = await verdictOf(reading, analysis)
    expect(fromOtlp.decision).toBe('rollback')
    expect(fromOtelTraces).toEqual(fromOtlp)
  })

  it('gives the same verdict for two flag variants, read from span events', async () => {
    const analysis = {
      service: 'cart',
      environment: 'production',
      baseline: { release: '2.0', flag: { key: 'new-cart', variant: 'off' } },
      canary: { release: '2.0', flag: { key: 'new-cart', variant: 'on' } },
    }
    const fromOtlp = await verdictOf(ingesting, analysis)
    const fromOtelTraces = await verdictOf(reading, analysis)
    expect((fromOtlp.metrics as { canary: { n: number } }[])[0]?.canary.n).toBeGreaterThan(0)
    expect(fromOtelTraces).toEqual(fromOtlp)
  })

  it("reads release-health's own spans for an analysis that names them, where the instance reads the exporter table by default", async () => {
    const analysis = {
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.0' },
      canary: { release: '1.1' },
    }
    const canaryRequests = (verdict: Record<string, unknown>) =>
      (verdict.metrics as { canary: { n: number } }[])[0]?.canary.n
    // The reading instance was sent nothing over OTLP: its own spans table is empty.
    expect(canaryRequests(await verdictOf(reading, analysis))).toBe(3000)
    const own = await verdictOf(reading, {
      ...analysis,
      policy: { source: { kind: 'spans', table: 'spans' } },
    })
    expect(canaryRequests(own)).toBe(0)
  })

  it('refuses an analysis, a policy change or a train asking for otel_traces where no exporter table is configured, with 400 RH_POLICY_SOURCE_UNAVAILABLE', async () => {
    const send = (method: string, path: string, body: object) =>
      fetch(`${ingesting.apiUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const cohorts = { baseline: { release: '1.0' }, canary: { release: '1.1' } }
    const policy = { source: 'otel_traces' }
    const id = await createAnalysis(ingesting, { service: 'checkout', ...cohorts })
    const refusals = [
      await send('POST', '/api/v1/analyses', { service: 'checkout', ...cohorts, policy }),
      await send('PUT', `/api/v1/analyses/${id}/policy`, policy),
      await send('POST', '/api/v1/trains', {
        name: 'release-1',
        members: [{ service: 'checkout', ...cohorts, policy }],
      }),
    ]
    for (const response of refusals) {
      expect(response.status).toBe(400)
      const { error } = (await response.json()) as { error: { code: string; message: string } }
      expect(error.code).toBe('RH_POLICY_SOURCE_UNAVAILABLE')
      expect(error.message).toContain('clickhouse.otelTraces.table')
    }
  })

  it("judges a release train's members from the exporter table too", async () => {
    const created = await fetch(`${reading.apiUrl}/api/v1/trains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'release-1',
        environment: 'production',
        startTime: new Date(FROM_MS).toISOString(),
        members: [
          { service: 'checkout', baseline: { release: '1.0' }, canary: { release: '1.1' } },
        ],
      }),
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    const verdict = await fetch(`${reading.apiUrl}/api/v1/trains/${id}/verdict`)
    expect(verdict.status).toBe(200)
    const { members } = (await verdict.json()) as {
      members: { metrics: { canary: { n: number } }[] }[]
    }
    expect(members[0]?.metrics[0]?.canary.n).toBe(3000)
  })

  it('never writes to the exporter table', async () => {
    const [row] = await queryRows<{ rows: string }>(
      reading.store,
      `SELECT count() AS rows FROM ${otelTable}`,
    )
    expect(Number(row?.rows)).toBe(2 * (3000 + 3000 + 2500 + 2500))
  })

  it('draws the same per-minute series on the page, from the view instead of the rollup', async () => {
    interface Point {
      requests: number
      errors: number
      p95Ms: number | null
    }
    const analysis = {
      service: 'cart',
      environment: 'production',
      baseline: { release: '2.0', flag: { key: 'new-cart', variant: 'off' } },
      canary: { release: '2.0', flag: { key: 'new-cart', variant: 'on' } },
    }
    const seriesOf = async (app: RunningApp) => {
      const id = await createAnalysis(app, analysis)
      const response = await fetch(`${app.apiUrl}/api/v1/analyses/${id}/series`)
      expect(response.status).toBe(200)
      return (await response.json()) as { canary: { points: Point[] } }
    }
    const own = (await seriesOf(ingesting)).canary.points
    const fromView = (await seriesOf(reading)).canary.points
    expect(own.length).toBe(20)
    const counts = (points: Point[]) => points.map(({ requests, errors }) => [requests, errors])
    expect(counts(fromView)).toEqual(counts(own))
    // t-digest estimates, from merged per-insert states against one pass over the rows.
    fromView.forEach((point, index) => {
      expect(point.p95Ms).toBeCloseTo(own[index]!.p95Ms!, -0.5)
    })
  })

  it('finds the same releases and flag variants for a report', async () => {
    const range = { service: 'cart', environment: '', fromMs: FROM_MS, toMs: NOW_MS }
    const own = await queryChanges(ingesting.store, range)
    const fromView = await queryChanges(
      reading.store,
      range,
      otelSpansTables(reading.store.database),
    )
    expect(own.map((change) => [change.kind, change.release, change.flagVariant])).toEqual([
      ['release', '2.0', ''],
      ['flag', '', 'off'],
      ['flag', '', 'on'],
    ])
    expect(fromView).toEqual(own)
  })
})
