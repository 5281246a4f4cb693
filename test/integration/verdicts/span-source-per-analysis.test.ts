import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { resolveConfig } from '../../../src/config/resolve-config.ts'
import { loadAnalysisReport } from '../../../src/report/load-report.ts'
import { createSpanSources } from '../../../src/store/span-sources.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildTracePayload } from '../../helpers/otel-payloads.ts'
import {
  insertOtelTraces,
  otelTracesDdl,
  toOtelCohortRows,
  type OtelCohort,
} from '../../helpers/otel-traces-table.ts'
import { createTestStore, queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

// One instance, two span sources: release-health's own spans (sent over OTLP), where the
// canary 1.1 is as healthy as the baseline, and the Collector exporter's table, where the same
// canary fails one request in eight. The instance reads the exporter's table only for
// analyses that ask for it (clickhouse.otelTraces.readByDefault: false).
const FROM_MS = Date.UTC(2026, 10, 20, 10, 0, 0)
const TO_MS = FROM_MS + 20 * 60_000
const NOW_MS = TO_MS + 2 * 60_000

const otelDatabase = uniqueName('otel')
const otelTable = `${otelDatabase}.otel_traces`
const overrides = {
  'clickhouse.otelTraces.table': otelTable,
  'clickhouse.otelTraces.readByDefault': false,
}
let setup: Store
let app: RunningApp

const window = { fromMs: FROM_MS, toMs: TO_MS, requests: 3000, extraLatencyMs: 0 }
const baseline: OtelCohort = { ...window, service: 'checkout', release: '1.0', failEvery: 200 }
const healthyCanary: OtelCohort = { ...baseline, release: '1.1' }
const failingCanary: OtelCohort = { ...healthyCanary, failEvery: 8 }

beforeAll(async () => {
  // The exporter's table exists before the instance starts: migrate makes a view over it.
  setup = createTestStore()
  await setup.client.command({ query: `CREATE DATABASE ${otelDatabase}` })
  await setup.client.command({ query: otelTracesDdl(otelTable) })
  app = await startTestApp(overrides, { now: () => NOW_MS })
  await insertOtelTraces(app.store, otelTable, [
    ...toOtelCohortRows(baseline, 'enum'),
    ...toOtelCohortRows(failingCanary, 'short'),
  ])
  // On the exporter's traces checkout calls payment, which fails every request the canary
  // sends it: a blast radius seen only in the exporter's table.
  await setup.client.command({
    query: `INSERT INTO ${otelTable}
        (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
         ResourceAttributes, SpanAttributes, Duration, StatusCode)
      SELECT Timestamp + toIntervalMillisecond(2), TraceId, lower(hex(cityHash64(SpanId))), SpanId,
        'POST /charge', 'Server', 'payment',
        map('service.name', 'payment', 'service.version', '3.0', 'deployment.environment.name', 'production'),
        map('http.response.status_code', if(ResourceAttributes['service.version'] = '1.1', '500', '200')),
        10000000, if(ResourceAttributes['service.version'] = '1.1', 'Error', 'Unset')
      FROM ${otelTable}
      WHERE ServiceName = 'checkout' AND SpanKind IN ('SPAN_KIND_SERVER', 'Server')`,
  })
  for (const cohort of [baseline, healthyCanary]) {
    const payload = buildTracePayload({
      service: cohort.service,
      release: cohort.release,
      environment: 'production',
      spans: Array.from({ length: cohort.requests }, (_, index) => ({
        name: 'GET /items',
        kind: 'server' as const,
        startTimeUnixNano:
          BigInt(Math.floor(FROM_MS + ((TO_MS - FROM_MS) * index) / cohort.requests)) * 1_000_000n,
        durationNs: BigInt((20 + (index % 41)) * 1_000_000),
        attributes: {
          'http.response.status_code': index % cohort.failEvery === 0 ? 500 : 200,
        },
      })),
    })
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      body: payload.protobuf,
      headers: { 'content-type': 'application/x-protobuf' },
    })
    expect(response.status).toBe(200)
  }
  await waitFor(
    async () => {
      const [row] = await queryRows<{ rows: string }>(
        app.store,
        `SELECT count() AS rows FROM ${app.store.database}.spans`,
      )
      return Number(row?.rows) === 6000 ? true : undefined
    },
    { what: 'the OTLP spans to be stored' },
  )
}, 120_000)

afterAll(async () => {
  await app?.stop()
  await setup?.close()
})

async function create(policy: object | undefined): Promise<string> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.0' },
      canary: { release: '1.1' },
      startTime: new Date(FROM_MS).toISOString(),
      ...(policy === undefined ? {} : { policy }),
    }),
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${app.apiUrl}${path}`)
  expect(response.status).toBe(200)
  return (await response.json()) as T
}

interface Verdict {
  decision: string
  metrics: { name: string; canary: { n: number } }[]
}
type Series = { canary: { points: { errors: number }[] } }

const errorsOf = (series: Series) =>
  series.canary.points.reduce((sum, point) => sum + point.errors, 0)

describe('a span source chosen per analysis', () => {
  it('reads the spans release-health ingested for an analysis whose policy names no source', async () => {
    const id = await create(undefined)
    const verdict = await get<Verdict>(`/api/v1/analyses/${id}/verdict`)
    expect(verdict.decision).not.toBe('rollback')
    expect(verdict.metrics[0]?.canary.n).toBe(3000)
    expect(errorsOf(await get<Series>(`/api/v1/analyses/${id}/series`))).toBe(3000 / 200)
  })

  it("reads the exporter's table for an analysis whose policy says source: otel_traces, on the same instance", async () => {
    const id = await create({ source: 'otel_traces' })
    const verdict = await get<Verdict>(`/api/v1/analyses/${id}/verdict`)
    expect(verdict.decision).toBe('rollback')
    expect(verdict.metrics[0]?.canary.n).toBe(3000)
    // The page's charts read the same source.
    expect(errorsOf(await get<Series>(`/api/v1/analyses/${id}/series`))).toBe(3000 / 8)
  })

  it("reads the blast radius from the analysis' own source: payment on the exporter's traces, none on release-health's spans", async () => {
    type BlastRadius = {
      minutes: { service: string; cohort: string; requests: number; errors: number }[]
    }
    const paymentOf = async (id: string) => {
      await get<Verdict>(`/api/v1/analyses/${id}/verdict`)
      const { minutes } = await get<BlastRadius>(`/api/v1/analyses/${id}/blast-radius`)
      const rows = minutes.filter((row) => row.service === 'payment')
      const sum = (cohort: string, field: 'requests' | 'errors') =>
        rows.filter((row) => row.cohort === cohort).reduce((total, row) => total + row[field], 0)
      return {
        baseline: { requests: sum('baseline', 'requests'), errors: sum('baseline', 'errors') },
        canary: { requests: sum('canary', 'requests'), errors: sum('canary', 'errors') },
      }
    }
    const exported = await paymentOf(await create({ source: 'otel_traces' }))
    // Every minute of the traffic is complete by now: each request called payment once.
    expect(exported.baseline.requests).toBe(3000)
    expect(exported.baseline.errors).toBe(0)
    expect(exported.canary.requests).toBe(3000)
    expect(exported.canary.errors).toBe(exported.canary.requests)

    const own = await paymentOf(await create(undefined))
    expect(own.baseline.requests + own.canary.requests).toBe(0)
  })

  it('stores the source with the analysis and shows it in GET /api/v1/analyses/{id}', async () => {
    const id = await create({ source: 'otel_traces' })
    const analysis = await get<{ policy: { source?: unknown } }>(`/api/v1/analyses/${id}`)
    expect(analysis.policy.source).toBe('otel_traces')
  })

  it("charts each analysis' own source in its report", async () => {
    const config = resolveConfig({ file: '/dev/null', env: {}, overrides })
    const context = {
      store: app.store,
      nowMs: NOW_MS,
      version: 'test',
      sources: createSpanSources({ store: app.store, config }),
    }
    const own = await loadAnalysisReport(context, await create(undefined))
    const exported = await loadAnalysisReport(context, await create({ source: 'otel_traces' }))
    const canaryErrors = (report: typeof own) =>
      report.analyses[0]!.canary.reduce((sum, point) => sum + point.errors, 0)
    expect(canaryErrors(own)).toBe(3000 / 200)
    expect(canaryErrors(exported)).toBe(3000 / 8)
  })
})
