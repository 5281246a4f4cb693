import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import { insertCompactRows } from '../../../src/store/insert-rows.ts'
import { TABLE_COLUMNS } from '../../../src/store/table-columns.ts'
import { startTestApp } from '../../helpers/app.ts'
import { buildMetricPayload } from '../../helpers/metric-payloads.ts'
import { ALL, expandGrafanaSql, type VariableState } from '../../helpers/grafana-macros.ts'
import {
  allPanels,
  loadDashboards,
  variableSql,
  type Dashboard,
  type Panel,
} from './dashboard-files.ts'
import { createClock, recordVerdicts, simulate, type SimulatedAnalysis } from './simulated-data.ts'

/**
 * Runs every dashboard query as Grafana and the ClickHouse plugin would send it — macros and
 * variables expanded by the test helper — against the embedded engine, over traffic from the
 * simulator, and checks the columns each panel is built on.
 */

/** The columns each panel's visualisation and transformations are configured for. */
const EXPECTED_COLUMNS: Record<string, Record<string, string[]>> = {
  'rh-release-health': {
    'Releases in flight': [
      'release',
      'first_seen',
      'last_seen',
      'request_count',
      'error_rate',
      'traffic_share',
    ],
    'Flag variants in flight': [
      'flag',
      'variant',
      'releases',
      'first_seen',
      'request_count',
      'error_rate',
    ],
    'Error rate by release': ['time', 'release', 'error_rate'],
    'Latency quantiles by release': ['time', 'cohort', 'latency_ms'],
    'Error rate by variant of $flag': ['time', 'variant', 'error_rate'],
    'p95 latency by variant of $flag': ['time', 'variant', 'p95_ms'],
    'Requests per second by release': ['time', 'release', 'requests_per_second'],
    'Error budget burn rate by release': ['time', 'release', 'burn_rate'],
    'Analyses of $service and their latest verdict': [
      'analysis',
      'environment',
      'baseline',
      'canary',
      'started',
      'evaluated_at',
      'decision',
      'reason',
    ],
    'Requests per second by release, from OTLP metrics': ['time', 'release', 'requests_per_second'],
    'Server error rate by release, from OTLP metrics': ['time', 'release', 'error_rate'],
  },
  'rh-canary-analysis': {
    'Latest verdict': ['decision', 'last_evaluated_at'],
    'Why: the reasons of the latest verdict': ['reason'],
    'Baseline vs canary per metric': [
      'metric',
      'decision',
      'baseline',
      'canary',
      'effect',
      'interval_low',
      'interval_high',
      'tolerance',
      'p_value',
      'baseline_n',
      'canary_n',
    ],
    'Error rate: baseline vs canary': ['time', 'cohort', 'error_rate'],
    'p95 latency: baseline vs canary': ['time', 'cohort', 'p95_ms'],
    'Requests per second: baseline vs canary': ['time', 'cohort', 'requests_per_second'],
    'Effect per metric with its interval, in percent': [
      'time',
      'metric',
      'effect',
      'interval_low',
      'interval_high',
    ],
    'Latency effect with its interval, in milliseconds': [
      'time',
      'metric',
      'effect',
      'interval_low',
      'interval_high',
    ],
    'Effect of numeric metrics with its interval, in their own unit': [
      'time',
      'metric',
      'effect',
      'interval_low',
      'interval_high',
    ],
    'Verdict timeline': ['time', 'decision'],
    'Decision changes': ['time', 'decision', 'reasons', 'requester'],
    'Release events: mean value, baseline vs canary': ['time', 'cohort', 'mean_value'],
    'Release events: failure rate, baseline vs canary': ['time', 'cohort', 'failure_rate'],
  },
  'rh-release-overview': {
    'Releases and flag variants in flight, every service': [
      'service',
      'environment',
      'release_name',
      'flag_key',
      'flag_variant',
      'first_seen',
      'last_seen',
      'request_count',
      'error_rate',
      'burn_rate',
      'traffic_share',
    ],
    'Error budget burn rate by service and release': ['time', 'service_release', 'burn_rate'],
    'Traffic share by service and release': ['time', 'service_release', 'traffic_share'],
    'Release calendar: releases, flag variants and decisions': [
      'time',
      'service',
      'change',
      'decision',
      'reason',
    ],
    'Latest verdict of every analysis and release train': [
      'id',
      'subject',
      'decision',
      'evaluated_at',
      'reason',
    ],
  },
  'rh-release-correlation': {
    'Error rate of $service': ['time', 'error_rate'],
    'Latency of $service': ['time', 'p50_ms', 'p95_ms', 'p99_ms'],
    'Which release served most requests': ['time', 'release'],
    'Traffic share by release': ['time', 'release', 'request_count'],
    'Traffic share by flag variant': ['time', 'variant', 'request_count'],
    'Changes and what followed': [
      'time',
      'kind',
      'change',
      'error_rate_before',
      'error_rate_after',
    ],
  },
}

/**
 * Panels the simulated analysis leaves empty: its policy judges latency relative to the
 * baseline, and it has no event metrics. 'shows each effect in its metric’s unit' fills the
 * first; event metrics come only from Kafka JSON events.
 */
const MAY_BE_EMPTY = new Set([
  'Latency effect with its interval, in milliseconds',
  'Effect of numeric metrics with its interval, in their own unit',
])

/** Grafana annotations are read from these columns. */
const ANNOTATION_COLUMNS = ['time', 'text', 'tags']

interface QueryResult {
  meta: { name: string; type: string }[]
  data: Record<string, unknown>[]
}

const dashboards = loadDashboards()
const clock = createClock()
let app: RunningApp
let badRelease: SimulatedAnalysis
let badFlag: SimulatedAnalysis

beforeAll(async () => {
  app = await startTestApp({}, { now: clock.now })
  badRelease = await simulate(app, 'bad-release')
  badFlag = await simulate(app, 'bad-flag')
  // A verdict history with a change in it: continue before the minimum duration, then rollback.
  for (const { analysisId, startMs } of [badRelease, badFlag]) {
    await recordVerdicts(app, clock, analysisId, [startMs + 60_000, startMs + 2 * 60_000])
    await recordVerdicts(app, clock, analysisId, [Date.now()])
  }
  await storeReleaseEvents(badFlag.analysisId)
  await sendMetrics()
}, 180_000)

/**
 * OTLP metrics of both checkout releases, as a service without traces would export them with
 * the OpenTelemetry metrics SDK: 1.5.0 fails one request in 10, 1.4.2 one in 100.
 */
async function sendMetrics(): Promise<void> {
  for (const [release, failEvery] of [
    ['1.4.2', 100],
    ['1.5.0', 10],
  ] as const) {
    const payload = await buildMetricPayload({
      resource: { 'service.name': 'checkout', 'service.version': release },
      temporality: 'delta',
      record: (meter) => {
        const duration = meter.createHistogram('http.server.request.duration', { unit: 's' })
        for (let i = 0; i < 1000; i++) {
          duration.record(0.05, { 'http.response.status_code': i % failEvery === 0 ? 500 : 200 })
        }
      },
    })
    const response = await fetch(`${app.otlpHttpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: payload.protobuf,
    })
    expect(response.status).toBe(200)
  }
  // The panels' time filter ends at a whole second (as the plugin's does): let the points'
  // second pass, so that they fall inside it.
  const sentMs = Date.now()
  while (Math.floor(Date.now() / 1000) <= Math.floor(sentMs / 1000)) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Release events of both cohorts of an analysis, one a minute for its last 20 minutes. */
async function storeReleaseEvents(analysisId: string): Promise<void> {
  const analysis = await createAnalysesRepository(app.store).find(analysisId)
  if (analysis === undefined) throw new Error(`no analysis ${analysisId}`)
  const rows = [analysis.baseline, analysis.canary].flatMap((selector, cohort) =>
    Array.from({ length: 20 }, (_, minute) => ({
      timestamp: `${Date.now() - (minute + 1) * 60_000}000000`,
      service: analysis.service,
      environment: analysis.environment,
      release: selector.release ?? '',
      flags: selector.flag === undefined ? {} : { [selector.flag.key]: selector.flag.variant },
      name: 'checkout.completed',
      value: 200 + 100 * cohort,
      outcome: minute % 4 === 0 ? 'failure' : 'success',
      attributes: {},
    })),
  )
  await insertCompactRows(app.store, {
    table: 'events',
    columns: TABLE_COLUMNS.events,
    rows,
    deduplicationToken: `dashboard-events-${analysisId}`,
  })
}

afterAll(async () => {
  await app?.stop()
})

async function run(sql: string): Promise<QueryResult> {
  const result = await app.store.client.query({ query: sql, format: 'JSON' })
  return result.json() as Promise<QueryResult>
}

/**
 * The dashboard's variables as a user would set them: each query variable's options come
 * from its own query (so those run too), in the order Grafana resolves them.
 */
async function resolveVariables(
  dashboard: Dashboard,
  chosen: Record<string, string>,
): Promise<Record<string, VariableState>> {
  const nowMs = Date.now()
  const variables: Record<string, VariableState> = { database: { current: app.store.database } }
  for (const variable of dashboard.templating.list) {
    if (variable.type === 'constant' && variable.name !== 'database') {
      const value = typeof variable.query === 'string' ? variable.query : ''
      variables[variable.name] = { current: chosen[variable.name] ?? value }
    }
    if (variable.type === 'custom') {
      variables[variable.name] = { current: String(variable.current?.value ?? '') }
    }
    if (variable.type !== 'query') continue
    const sql = expandGrafanaSql(variableSql(variable), {
      fromMs: nowMs - 3 * 3_600_000,
      toMs: nowMs,
      intervalSeconds: 60,
      variables,
    })
    const options = (await run(sql)).data.map((row) => String(Object.values(row)[0]))
    const current = chosen[variable.name] ?? (variable.includeAll === true ? ALL : options[0])
    expect(options, `options of $${variable.name}`).toEqual(
      current === ALL ? expect.any(Array) : expect.arrayContaining([current]),
    )
    variables[variable.name] = { current: current ?? '', options }
  }
  return variables
}

async function runPanel(
  panel: Panel,
  variables: Record<string, VariableState>,
  nowMs = Date.now(),
) {
  const [target] = panel.targets ?? []
  const sql = expandGrafanaSql(target?.rawSql ?? '', {
    fromMs: nowMs - 3 * 3_600_000,
    toMs: nowMs,
    intervalSeconds: 60,
    variables,
  })
  return run(sql)
}

const SETTINGS: Record<string, () => Record<string, string>> = {
  'rh-release-health': () => ({ service: 'checkout', flag: 'new-payment-form' }),
  'rh-canary-analysis': () => ({ analysis: badFlag.analysisId }),
  'rh-release-correlation': () => ({ service: 'search' }),
}

describe.each(dashboards.map((dashboard) => [dashboard.title, dashboard] as const))(
  'the %s dashboard over simulated traffic',
  (_title, dashboard: Dashboard) => {
    let variables: Record<string, VariableState>
    beforeAll(async () => {
      variables = await resolveVariables(dashboard, SETTINGS[dashboard.uid]?.() ?? {})
    })

    it('has an expectation for every panel', () => {
      expect(
        allPanels(dashboard)
          .map((panel) => panel.title)
          .sort(),
      ).toEqual(Object.keys(EXPECTED_COLUMNS[dashboard.uid] ?? {}).sort())
    })

    it.each(allPanels(dashboard).map((panel) => [panel.title, panel] as const))(
      'answers "%s" with rows of the columns the panel expects',
      async (title, panel: Panel) => {
        const result = await runPanel(panel, variables)
        expect(result.meta.map((column) => column.name)).toEqual(
          EXPECTED_COLUMNS[dashboard.uid]?.[title],
        )
        if (!MAY_BE_EMPTY.has(title)) expect(result.data.length).toBeGreaterThan(0)
        if (panel.targets?.[0]?.queryType === 'timeSeries') {
          expect(result.meta[0]?.type).toMatch(/^DateTime/)
        }
      },
    )

    it.each(
      dashboard.annotations.list
        .filter((annotation) => annotation.target !== undefined)
        .map((annotation) => [annotation.name, annotation] as const),
    )('answers the "%s" annotation with time, text and tags', async (_name, annotation) => {
      const nowMs = Date.now()
      const sql = expandGrafanaSql(annotation.target?.rawSql ?? '', {
        fromMs: nowMs - 3 * 3_600_000,
        toMs: nowMs,
        intervalSeconds: 60,
        variables,
      })
      const result = await run(sql)
      expect(result.meta.map((column) => column.name)).toEqual(
        expect.arrayContaining(ANNOTATION_COLUMNS),
      )
      expect(result.data.length).toBeGreaterThan(0)
    })
  },
)

describe("the dashboards over the Collector exporter's rollup", () => {
  // The exporter's rollup (release-health otel-traces rollup) has the columns of
  // request_rollup_1m; here it holds the same rows, so each panel must answer the same.
  beforeAll(async () => {
    const db = app.store.database
    await app.store.client.command({
      query: `INSERT INTO ${db}.otel_request_rollup_1m SELECT * FROM ${db}.request_rollup_1m`,
    })
  })

  it.each(
    dashboards.flatMap((dashboard) =>
      allPanels(dashboard)
        .filter((panel) => panel.targets?.[0]?.rawSql.includes('${requests_rollup}') === true)
        .map((panel) => [dashboard.title, panel.title, dashboard, panel] as const),
    ),
  )(
    'answer %s: "%s" from otel_request_rollup_1m as from request_rollup_1m',
    async (_dashboardTitle, _panelTitle, dashboard, panel) => {
      const chosen = SETTINGS[dashboard.uid]?.() ?? {}
      const nowMs = Date.now()
      const own = await runPanel(panel, await resolveVariables(dashboard, chosen), nowMs)
      const exporters = await runPanel(
        panel,
        await resolveVariables(dashboard, { ...chosen, requests_rollup: 'otel_request_rollup_1m' }),
        nowMs,
      )
      // Rows of one time in a time series come in any order.
      const sorted = (rows: readonly Record<string, unknown>[]) =>
        rows.map((row) => JSON.stringify(row)).sort()
      expect(own.data.length).toBeGreaterThan(0)
      expect(sorted(exporters.data)).toEqual(sorted(own.data))
    },
  )
})

describe('what the panels show', () => {
  function panelOf(uid: string, title: string): { dashboard: Dashboard; panel: Panel } {
    const dashboard = dashboards.find((candidate) => candidate.uid === uid)
    const panel = dashboard && allPanels(dashboard).find((candidate) => candidate.title === title)
    if (dashboard === undefined || panel === undefined) throw new Error(`no panel ${title}`)
    return { dashboard, panel }
  }

  async function rowsOf(uid: string, title: string, chosen: Record<string, string>) {
    const { dashboard, panel } = panelOf(uid, title)
    return (await runPanel(panel, await resolveVariables(dashboard, chosen))).data
  }

  it('lists both checkout releases in flight, with traffic shares adding up to one', async () => {
    const rows = await rowsOf('rh-release-health', 'Releases in flight', { service: 'checkout' })
    expect(rows.map((row) => row.release).sort()).toEqual(['1.4.2', '1.5.0'])
    const shares = rows.map((row) => Number(row.traffic_share))
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 6)
  })

  it('reads each release of a service that exports OTLP metrics: requests, and 1.5.0 failing more', async () => {
    const chosen = { service: 'checkout' }
    const requests = await rowsOf(
      'rh-release-health',
      'Requests per second by release, from OTLP metrics',
      chosen,
    )
    const total = (release: string): number =>
      requests
        .filter((row) => row.release === release)
        .reduce((sum, row) => sum + Number(row.requests_per_second) * 60, 0)
    // One interval of 60 s holds each release's 1,000 requests.
    expect(total('1.4.2')).toBeCloseTo(1000, 6)
    expect(total('1.5.0')).toBeCloseTo(1000, 6)
    const errors = await rowsOf(
      'rh-release-health',
      'Server error rate by release, from OTLP metrics',
      chosen,
    )
    const rate = (release: string) =>
      errors.filter((row) => row.release === release).map((row) => Number(row.error_rate))
    expect([rate('1.4.2'), rate('1.5.0')]).toEqual([[0.01], [0.1]])
  })

  it('narrows the release panels to the releases chosen', async () => {
    const rows = await rowsOf('rh-release-health', 'Error rate by release', {
      service: 'checkout',
      release: '1.5.0',
    })
    expect(new Set(rows.map((row) => row.release))).toEqual(new Set(['1.5.0']))
  })

  it('reads each cohort of a flag analysis from its own flag rows: the canary fails more', async () => {
    const rows = await rowsOf('rh-canary-analysis', 'Error rate: baseline vs canary', {
      analysis: badFlag.analysisId,
    })
    const mean = (cohort: string): number => {
      const values = rows
        .filter((row) => row.cohort === cohort)
        .map((row) => Number(row.error_rate))
      return values.reduce((sum, value) => sum + value, 0) / values.length
    }
    expect(mean('canary')).toBeGreaterThan(3 * mean('baseline'))
  })

  it('shows each effect in its metric’s unit: percent for ratios and error rates, ms for absolute latency', async () => {
    // An analysis whose recorded verdict has one metric of each unit: the panels' SQL and
    // units are under test here, not the judge, so the verdict is written as the judge would.
    const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'checkout',
        environment: 'production',
        baseline: { release: '1.4.2' },
        canary: { release: '1.5.0' },
        startTime: new Date(badRelease.startMs).toISOString(),
      }),
    })
    const { id } = (await response.json()) as { id: string }
    const metric = (name: string, kind: string, effectScale: string, effect: number) => ({
      name,
      kind,
      effectScale,
      effect,
      interval: [effect / 2, effect * 2],
    })
    const evaluatedAt = new Date(Date.now() - 60_000).toISOString()
    await app.store.client.insert({
      table: `${app.store.database}.verdicts`,
      format: 'JSONEachRow',
      values: [
        {
          analysis_id: id,
          evaluated_at: evaluatedAt.replace('T', ' ').replace('Z', ''),
          recorded_at: evaluatedAt.replace('T', ' ').replace('Z', ''),
          decision: 'rollback',
          reasons: ['latency-p95 worse'],
          policy_version: 1,
          requester: 'test',
          body: JSON.stringify({
            decision: 'rollback',
            metrics: [
              metric('error-rate', 'error-rate', 'relative', 0.4),
              metric('error-rate-diff', 'error-rate', 'absolute', 0.013),
              metric('latency-p95', 'latency', 'absolute', 76),
              metric('latency-p99', 'latency', 'relative', 0.3),
              metric('checkout-value', 'numeric', 'absolute', -2.5),
            ],
          }),
        },
      ],
    })
    const percent = await rowsOf(
      'rh-canary-analysis',
      'Effect per metric with its interval, in percent',
      { analysis: id },
    )
    const ms = await rowsOf(
      'rh-canary-analysis',
      'Latency effect with its interval, in milliseconds',
      { analysis: id },
    )
    const numeric = await rowsOf(
      'rh-canary-analysis',
      'Effect of numeric metrics with its interval, in their own unit',
      { analysis: id },
    )
    expect(new Set(percent.map((row) => row.metric))).toEqual(
      new Set(['error-rate', 'error-rate-diff', 'latency-p99']),
    )
    expect(ms.map((row) => [row.metric, row.effect])).toEqual([['latency-p95', 76]])
    expect(numeric.map((row) => [row.metric, row.effect])).toEqual([['checkout-value', -2.5]])
    const units = Object.fromEntries(
      allPanels(panelOf('rh-canary-analysis', 'Latest verdict').dashboard)
        .filter((panel) => panel.title.includes('ffect'))
        .map((panel) => [
          panel.title,
          (panel as { fieldConfig?: { defaults?: { unit?: string } } }).fieldConfig?.defaults?.unit,
        ]),
    )
    expect(units).toEqual({
      'Effect per metric with its interval, in percent': 'percentunit',
      'Latency effect with its interval, in milliseconds': 'ms',
      'Effect of numeric metrics with its interval, in their own unit': 'none',
    })
  })

  it("draws each cohort's release events apart, by event name", async () => {
    const chosen = { analysis: badFlag.analysisId }
    const means = await rowsOf(
      'rh-canary-analysis',
      'Release events: mean value, baseline vs canary',
      chosen,
    )
    const meanOf = (cohort: string) =>
      new Set(means.filter((row) => row.cohort === cohort).map((row) => Number(row.mean_value)))
    expect(meanOf('baseline: checkout.completed')).toEqual(new Set([200]))
    expect(meanOf('canary: checkout.completed')).toEqual(new Set([300]))
    const failures = await rowsOf(
      'rh-canary-analysis',
      'Release events: failure rate, baseline vs canary',
      chosen,
    )
    const failed = failures.filter((row) => Number(row.failure_rate) === 1)
    expect(failed.length).toBeGreaterThan(0)
  })

  it('shows the decision changing from continue to rollback', async () => {
    const rows = await rowsOf('rh-canary-analysis', 'Decision changes', {
      analysis: badRelease.analysisId,
    })
    expect(rows.map((row) => row.decision)).toEqual(['continue', 'rollback'])
  })

  it('shows every service on the overview, its release shares adding up to one, and the decision changes in the calendar', async () => {
    const rows = (await rowsOf(
      'rh-release-overview',
      'Releases and flag variants in flight, every service',
      {},
    )) as { service: string; flag_key: string; release_name: string; traffic_share: number }[]
    expect(new Set(rows.map((row) => row.service))).toEqual(new Set(['checkout', 'search']))
    const checkout = rows.filter((row) => row.service === 'checkout' && row.flag_key === '')
    expect(checkout.map((row) => row.release_name).sort()).toEqual(['1.4.2', '1.5.0'])
    expect(checkout.reduce((sum, row) => sum + Number(row.traffic_share), 0)).toBeCloseTo(1, 6)
    const calendar = (await rowsOf(
      'rh-release-overview',
      'Release calendar: releases, flag variants and decisions',
      {},
    )) as { service: string; change: string; decision: string }[]
    // Newest first; the repeated polls before the minimum duration are one change.
    const decisionsOf = (id: string): string[] =>
      calendar.filter((row) => row.change === `verdict of ${id}`).map((row) => row.decision)
    expect(decisionsOf(badRelease.analysisId)).toEqual(['rollback', 'continue'])
    expect(calendar.filter((row) => row.change === 'release 1.5.0')).toHaveLength(1)
  })

  it('finds the flag variants of search as changes in the correlation table', async () => {
    const rows = await rowsOf('rh-release-correlation', 'Changes and what followed', {
      service: 'search',
    })
    expect(rows.map((row) => row.change)).toEqual(
      expect.arrayContaining(['3.1.0', 'semantic-ranking=on', 'semantic-ranking=off']),
    )
  })
})
