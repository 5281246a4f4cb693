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
  const analysisReport = join(ARTIFACTS_DIR, 'report-analysis.html')
  const serviceReport = join(ARTIFACTS_DIR, 'report-service.html')

  beforeAll(async () => {
    browser = await launchBrowser()
    app = await startTestApp({}, { now: clock.now })
    badFlag = await simulate(app, 'bad-flag')
    const { analysisId, startMs } = badFlag
    await recordVerdicts(app, clock, analysisId, [startMs + 60_000, startMs + 2 * 60_000])
    await recordVerdicts(app, clock, analysisId, [Date.now()])
    await report(app, ['--analysis', analysisId, '--out', analysisReport])
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

  it('says what is missing when neither an analysis nor a service is named', async () => {
    await expect(report(app, ['--out', join(ARTIFACTS_DIR, 'never.html')])).rejects.toThrow(
      /--analysis <id>, or --service <name> --from <time>/,
    )
  })
})
