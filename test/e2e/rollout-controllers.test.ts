import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import {
  assessRun,
  measure,
  type MeasurementPhase,
  type WebMetric,
} from '../helpers/argo-analysis.ts'
import { sendTraffic } from '../helpers/traffic.ts'

/**
 * The example manifests under examples/ are replayed against the live API with each
 * controller's documented semantics: what ships is what is tested.
 */
interface ArgoTemplate {
  spec: { metrics: (WebMetric & { provider: { web: { url: string; jsonPath: string } } })[] }
}
interface FlaggerCanary {
  spec: {
    analysis: { webhooks: { type: string; url: string; metadata: Record<string, string> }[] }
  }
}

const argoTemplate = parse(
  readFileSync('examples/argo-rollouts/analysis-template.yaml', 'utf8'),
) as ArgoTemplate
const argoMetric = argoTemplate.spec.metrics[0]!
const flaggerCanary = parseAllDocuments(
  readFileSync('examples/flagger/canary.yaml', 'utf8'),
)[0]!.toJS() as FlaggerCanary

let app: RunningApp
const nowMs = Date.now()
const trafficFromMs = nowMs - 12 * 60_000
const trafficToMs = nowMs - 60_000
// The server's clock: controllers start an analysis when the traffic starts and poll on.
let clockMs = trafficFromMs

beforeAll(async () => {
  app = await startTestApp({}, { now: () => clockMs })
  // A bad release of "payments" and a quiet pair of "search" releases with little traffic.
  await sendTraffic(app, {
    service: 'payments',
    release: '2.0.0',
    requests: 4_000,
    failEvery: 200,
    fromMs: trafficFromMs,
    toMs: trafficToMs,
  })
  await sendTraffic(app, {
    service: 'payments',
    release: '2.1.0',
    requests: 4_000,
    failEvery: 20,
    fromMs: trafficFromMs,
    toMs: trafficToMs,
  })
  // A healthy canary with plenty of traffic: the same errors and latency as its baseline.
  for (const release of ['7.0.0', '7.1.0']) {
    await sendTraffic(app, {
      service: 'cart',
      release,
      requests: 6_000,
      failEvery: 0,
      fromMs: trafficFromMs,
      toMs: trafficToMs,
    })
  }
  await sendTraffic(app, {
    service: 'search',
    release: '5.0.0',
    requests: 200,
    failEvery: 100,
    fromMs: trafficFromMs,
    toMs: trafficToMs,
  })
  await sendTraffic(app, {
    service: 'search',
    release: '5.1.0',
    requests: 200,
    failEvery: 100,
    fromMs: trafficFromMs,
    toMs: trafficToMs,
  })
})
afterAll(() => app.stop())

/** The template's URL with its args filled in, pointed at the test server. */
function argoUrl(args: Record<string, string>): string {
  const filled = argoMetric.provider.web.url.replace(
    /\{\{args\.([a-z-]+)\}\}/g,
    (_, name: string) => encodeURIComponent(args[name] ?? ''),
  )
  const url = new URL(filled)
  return `${app.apiUrl}${url.pathname}${url.search}`
}

async function argoMeasurement(args: Record<string, string>): Promise<MeasurementPhase> {
  const response = await fetch(argoUrl(args))
  expect(response.status).toBe(200)
  return measure(
    { ...argoMetric, jsonPath: argoMetric.provider.web.jsonPath },
    await response.json(),
  )
}

async function flaggerHook(type: string, metadata: Record<string, string>): Promise<number> {
  const webhook = flaggerCanary.spec.analysis.webhooks.find((hook) => hook.type === type)!
  const response = await fetch(`${app.apiUrl}${new URL(webhook.url).pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'checkout',
      namespace: 'shop',
      phase: 'Progressing',
      checksum: metadata.canaryRelease,
      type,
      metadata: { ...webhook.metadata, ...metadata },
    }),
  })
  return response.status
}

describe('Argo Rollouts web metric from examples/argo-rollouts/analysis-template.yaml', () => {
  it('keeps measuring a bad canary until the evidence is in, then fails the run', async () => {
    const args = {
      service: 'payments',
      environment: 'production',
      'baseline-release': '2.0.0',
      'canary-release': '2.1.0',
    }
    clockMs = trafficFromMs
    const atStart = await argoMeasurement(args)
    clockMs = nowMs
    const later = await argoMeasurement(args)
    expect([atStart, later]).toEqual(['Inconclusive', 'Failed'])
    expect(assessRun(argoMetric, [atStart])).toBe('Running')
    expect(assessRun(argoMetric, [atStart, later])).toBe('Failed')
  })

  it('keeps measuring while the verdict is continue, without passing or failing the run', async () => {
    const args = {
      service: 'search',
      environment: 'production',
      'baseline-release': '5.0.0',
      'canary-release': '5.1.0',
    }
    const phases = [await argoMeasurement(args), await argoMeasurement(args)]
    expect(phases).toEqual(['Inconclusive', 'Inconclusive'])
    expect(assessRun(argoMetric, phases)).toBe('Running')
  })

  it('passes the step at the first promote and pauses once inconclusive measurements pass the limit', () => {
    expect(assessRun(argoMetric, ['Inconclusive', 'Successful'])).toBe('Successful')
    const tooMany = Array.from(
      { length: argoMetric.inconclusiveLimit + 1 },
      (): MeasurementPhase => 'Inconclusive',
    )
    expect(assessRun(argoMetric, tooMany)).toBe('Inconclusive')
  })

  it('names the environment in the template, and is refused without one rather than mixing environments', async () => {
    expect(argoMetric.provider.web.url).toContain('environment={{args.environment}}')
    const url = new URL(
      argoUrl({ service: 'search', 'baseline-release': '5.0.0', 'canary-release': '5.1.0' }),
    )
    url.searchParams.delete('environment')
    const refused = await fetch(url)
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /environment/,
    )
  })

  it('tolerates release-health being unreachable for a while, within consecutiveErrorLimit', () => {
    const template = argoMetric as unknown as { consecutiveErrorLimit?: number; interval: string }
    expect(template.consecutiveErrorLimit).toBeGreaterThanOrEqual(4)
  })

  it('polls one analysis per set of cohorts, and records every poll in its audit trail', async () => {
    const args = {
      service: 'search',
      environment: 'production',
      'baseline-release': '5.0.0',
      'canary-release': '5.1.0',
    }
    const first = (await (await fetch(argoUrl(args))).json()) as { analysisId: string }
    const second = (await (await fetch(argoUrl(args))).json()) as { analysisId: string }
    expect(second.analysisId).toBe(first.analysisId)
    const history = (await (
      await fetch(`${app.apiUrl}/api/v1/analyses/${first.analysisId}/verdicts`)
    ).json()) as { verdicts: { requester: string }[] }
    expect(history.verdicts.length).toBeGreaterThanOrEqual(4)
    expect(history.verdicts.every((verdict) => verdict.requester === 'argo-rollouts')).toBe(true)
  })
})

describe('Flagger webhooks from examples/flagger/canary.yaml', () => {
  const bad = { service: 'payments', baselineRelease: '2.0.0', canaryRelease: '2.1.0' }
  const quiet = { service: 'search', baselineRelease: '5.0.0', canaryRelease: '5.1.0' }

  it('fails the rollout check, refuses promotion and confirms rollback for a bad canary', async () => {
    clockMs = trafficFromMs
    expect(await flaggerHook('rollout', bad)).toBe(200)
    clockMs = nowMs
    expect(await flaggerHook('rollout', bad)).toBe(412)
    expect(await flaggerHook('confirm-promotion', bad)).toBe(412)
    expect(await flaggerHook('rollback', bad)).toBe(200)
  })

  it('passes the rollout check but withholds promotion and rollback while evidence is gathered', async () => {
    expect(await flaggerHook('rollout', quiet)).toBe(200)
    expect(await flaggerHook('confirm-promotion', quiet)).toBe(412)
    expect(await flaggerHook('rollback', quiet)).toBe(412)
  })

  it('holds the traffic weight while the verdict is not promote, and lets it grow once it is', async () => {
    // Zero errors on both sides decide only against an absolute tolerance.
    const healthy = {
      service: 'cart',
      baselineRelease: '7.0.0',
      canaryRelease: '7.1.0',
      policy: JSON.stringify({
        metrics: [
          { name: 'error-rate', kind: 'error-rate', tolerance: { absolute: 0.01 } },
          { name: 'latency-p95', kind: 'latency', quantile: 0.95, tolerance: '20%' },
        ],
      }),
    }
    clockMs = trafficFromMs
    expect(await flaggerHook('confirm-traffic-increase', healthy)).toBe(412)
    expect(await flaggerHook('confirm-traffic-increase', bad)).toBe(412)
    expect(await flaggerHook('confirm-traffic-increase', quiet)).toBe(412)
    clockMs = nowMs
    expect(await flaggerHook('confirm-traffic-increase', bad)).toBe(412)
    expect(await flaggerHook('confirm-traffic-increase', healthy)).toBe(200)
    expect(await flaggerHook('confirm-promotion', healthy)).toBe(200)
  })

  it('answers 400 when the metadata leaves the environment out', async () => {
    const response = await fetch(`${app.apiUrl}/api/v1/flagger/rollout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'no-env',
        namespace: 'shop',
        checksum: 'x',
        metadata: { service: 'search', baselineRelease: '5.0.0', canaryRelease: '5.1.0' },
      }),
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /environment/,
    )
  })

  it('answers 400 naming what is missing when the metadata names no cohorts', async () => {
    const response = await fetch(`${app.apiUrl}/api/v1/flagger/rollout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orphan', namespace: 'shop', checksum: 'x', metadata: {} }),
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /baselineRelease/,
    )
  })
})
