import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { RunningApp } from '../../../src/app.ts'
import { createReportCommand } from '../../../src/cli/commands/report.ts'
import { startTestApp } from '../../helpers/app.ts'
import {
  ARTIFACTS_DIR,
  attributeOfAll,
  browserSkipReason,
  expectRendered,
  launchBrowser,
  openPage,
  saveScreenshot,
} from '../../helpers/browser.ts'
import { testDataPath } from '../../helpers/store.ts'
import { sendTraffic } from '../../helpers/traffic.ts'
import {
  createClock,
  recordVerdicts,
  simulate,
  type SimulatedAnalysis,
} from '../../integration/dashboards/simulated-data.ts'

const skip = browserSkipReason()

/** Runs `release-health report <args>` in this process, on the test's embedded store. */
async function report(app: RunningApp, args: readonly string[]): Promise<void> {
  const configFile = join(ARTIFACTS_DIR, 'report-test-config.yaml')
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  writeFileSync(
    configFile,
    `clickhouse:\n  dataPath: ${JSON.stringify(testDataPath())}\n  database: ${app.store.database}\n`,
  )
  const url = process.env.RH_TEST_CLICKHOUSE_URL
  await createReportCommand().parseAsync(
    ['--config', configFile, ...(url === undefined ? [] : ['--clickhouse-url', url]), ...args],
    { from: 'user' },
  )
}

describe.skipIf(skip !== undefined)('release-health report', () => {
  const clock = createClock()
  let app: RunningApp
  let browser: Browser
  let badFlag: SimulatedAnalysis
  let lowTraffic: SimulatedAnalysis
  const analysisReport = join(ARTIFACTS_DIR, 'report-analysis.html')
  const serviceReport = join(ARTIFACTS_DIR, 'report-service.html')
  const lowTrafficReport = join(ARTIFACTS_DIR, 'report-low-traffic.html')
  const blastReport = join(ARTIFACTS_DIR, 'report-blast-radius.html')
  const trainReport = join(ARTIFACTS_DIR, 'report-train.html')
  let downstream: SimulatedAnalysis
  let train: SimulatedAnalysis
  /** Releases with long names, more than one legend row holds. */
  const manyReleases = Array.from({ length: 7 }, (_, i) => `2026.11.22-nightly-build-${i + 1}`)

  beforeAll(async () => {
    browser = await launchBrowser()
    app = await startTestApp({}, { now: clock.now })
    badFlag = await simulate(app, 'bad-flag')
    const { analysisId, startMs } = badFlag
    await recordVerdicts(app, clock, analysisId, [startMs + 60_000, startMs + 2 * 60_000])
    await recordVerdicts(app, clock, analysisId, [Date.now()])
    for (const [index, release] of manyReleases.entries()) {
      await sendTraffic(app, {
        service: 'search',
        release,
        requests: 60,
        failEvery: 0,
        fromMs: startMs + index * 60_000,
        toMs: Date.now() - 60_000,
      })
    }
    lowTraffic = await simulate(app, 'low-traffic', { ratePerSecond: 0.5 })
    await recordVerdicts(app, clock, lowTraffic.analysisId, [Date.now()])
    await report(app, ['--analysis', lowTraffic.analysisId, '--out', lowTrafficReport])
    await report(app, ['--analysis', analysisId, '--out', analysisReport])
    // The simulator polls as a controller: each simulation leaves a recorded verdict.
    downstream = await simulate(app, 'downstream-breakage')
    train = await simulate(app, 'release-train')
    await report(app, ['--analysis', downstream.analysisId, '--out', blastReport])
    await report(app, ['--train', train.analysisId, '--out', trainReport])
    await report(app, [
      '--service',
      'search',
      '--from',
      new Date(startMs - 30 * 60_000).toISOString(),
      '--out',
      serviceReport,
    ])
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
  })

  it('writes one self-contained file: nothing is loaded from elsewhere and no script runs', () => {
    const html = readFileSync(analysisReport, 'utf8')
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).not.toMatch(/<script|<link|\s(src|href)="(?!#)/i)
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`)
  })

  it('opens in the browser with the change timeline, the verdict history and the charts around each change', async () => {
    const watched = await openPage(browser, pathToFileURL(analysisReport).href)
    const { page } = watched
    expect(await page.locator('h1').innerText()).toBe(
      `Release report: analysis ${badFlag.analysisId}`,
    )
    expect(await page.locator('[data-chart="service-error-rate"] .marker').count()).toBeGreaterThan(
      0,
    )
    expect(
      await page.locator('table.changes tr[data-change="flag:semantic-ranking=on"]').count(),
    ).toBe(1)
    expect(
      await page
        .locator('section.change[data-change="flag:semantic-ranking=on"] figure.chart')
        .count(),
    ).toBe(2)
    const history = page.locator('[data-chart="verdict-history"] rect.decision-span')
    expect(new Set(await attributeOfAll(history, 'data-decision'))).toEqual(
      new Set(['continue', 'rollback']),
    )
    const canary = page.locator('[data-chart="analysis-error-rate"] [data-series="canary"]')
    expect(Number(await canary.getAttribute('data-points'))).toBeGreaterThan(15)
    expect(await page.locator('section.analysis table.metrics tbody tr').count()).toBe(4)

    const screenshot = await saveScreenshot(page, 'report-analysis')
    await expectRendered(watched, { minCharts: 8 }, screenshot)
  })

  it('reports on a service over a time range, with each analysis in it', async () => {
    const watched = await openPage(browser, pathToFileURL(serviceReport).href)
    const { page } = watched
    expect(await page.locator('h1').innerText()).toBe('Release report: search in every environment')
    expect(
      await page.locator(`section.analysis[data-analysis="${badFlag.analysisId}"]`).count(),
    ).toBe(1)
    const screenshot = await saveScreenshot(page, 'report-service')
    await expectRendered(watched, { minCharts: 8 }, screenshot)
  })

  it('gives each release one colour in every chart, and draws every legend entry inside its chart', async () => {
    const { page } = await openPage(browser, pathToFileURL(serviceReport).href)
    const releases = ['3.1.0', ...manyReleases]
    for (const release of releases) {
      const lines = page.locator(
        `[data-series="${release}"] path, [data-series="${release}"] circle`,
      )
      const colours = new Set([
        ...(await attributeOfAll(lines, 'stroke')),
        ...(await attributeOfAll(lines, 'fill')),
      ])
      colours.delete('none')
      expect(colours.size, release).toBe(1)
      const legend = page.locator(`[data-legend="${release}"] rect`)
      expect(await legend.count(), release).toBeGreaterThanOrEqual(2)
      expect(new Set(await attributeOfAll(legend, 'fill'))).toEqual(colours)
    }
    const latency = page.locator('[data-chart="service-latency"]')
    expect(await latency.locator('.legend-item').count()).toBe(releases.length)
    for (const chart of await page.locator('figure.chart svg').all()) {
      const box = (await chart.boundingBox())!
      for (const item of await chart.locator('.legend-item').all()) {
        const itemBox = (await item.boundingBox())!
        expect(itemBox.x + itemBox.width).toBeLessThanOrEqual(box.x + box.width + 0.5)
        expect(itemBox.y).toBeGreaterThanOrEqual(box.y - 0.5)
      }
    }
  })

  it('charts the blast radius: the callee’s error rate on the traces through each cohort', async () => {
    const watched = await openPage(browser, pathToFileURL(blastReport).href)
    const { page } = watched
    const chart = page.locator('[data-chart="blast-radius-inventory"]')
    for (const cohort of ['baseline', 'canary']) {
      expect(
        Number(await chart.locator(`[data-series="${cohort}"]`).getAttribute('data-points')),
      ).toBeGreaterThan(5)
    }
    expect(await page.locator('table.metrics').innerText()).toMatch(
      /blast-radius:inventory:error-rate/,
    )
    const screenshot = await saveScreenshot(page, 'report-blast-radius')
    await expectRendered(watched, { minCharts: 4 }, screenshot)
  })

  it('reports on a release train: its decisions with their causes, and every member', async () => {
    const watched = await openPage(browser, pathToFileURL(trainReport).href)
    const { page } = watched
    expect(await page.locator('h1').innerText()).toBe(
      'Release report: release train ' + `release-train-${train.startMs} (orders, invoices)`,
    )
    const section = page.locator(`section.train[data-train="${train.analysisId}"]`)
    expect(await section.locator('h2 .decision').innerText()).toBe('rollback')
    expect(await section.locator('table.changes').innerText()).toMatch(/invoices error-rate/)
    expect(await page.locator('section.analysis').count()).toBe(2)
    expect(await page.locator('section.analysis h2').allInnerTexts()).toEqual([
      expect.stringMatching(/^Analysis of orders:/),
      expect.stringMatching(/^Analysis of invoices: rollback/),
    ])
    const screenshot = await saveScreenshot(page, 'report-train')
    await expectRendered(watched, { minCharts: 6 }, screenshot)
  })

  it('says what a low-traffic verdict is still missing', async () => {
    const { page } = await openPage(browser, pathToFileURL(lowTrafficReport).href)
    const missing = page.locator('section.analysis .missing li')
    expect(await missing.count()).toBeGreaterThan(0)
    expect(await missing.allInnerTexts()).toContainEqual(
      expect.stringMatching(/^requests: the (baseline|canary) needs [\d,]+ more for /),
    )
  })

  it('says what is missing when neither an analysis nor a service is named', async () => {
    await expect(report(app, ['--out', join(ARTIFACTS_DIR, 'never.html')])).rejects.toThrow(
      /--analysis <id>, --train <id>, or --service <name> --from <time>/,
    )
  })
})
