import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import {
  attributeOfAll,
  browserSkipReason,
  expectRendered,
  launchBrowser,
  openPage,
  saveScreenshot,
} from '../../helpers/browser.ts'
import {
  createClock,
  recordVerdicts,
  simulate,
  type SimulatedAnalysis,
} from '../../integration/dashboards/simulated-data.ts'

/** Text a hostile user might give as a service name: it must show as text and run nothing. */
const HOSTILE_SERVICE = '<img src=x onerror="window.__pwned=1">'
const HOSTILE_RELEASE = '"><script>window.__pwned=2</script>'

const skip = browserSkipReason()

describe.skipIf(skip !== undefined)('the built-in page in headless Chromium', () => {
  const clock = createClock()
  let app: RunningApp
  let browser: Browser
  let badRelease: SimulatedAnalysis
  let lowTraffic: SimulatedAnalysis
  let hostileId: string

  beforeAll(async () => {
    browser = await launchBrowser()
    app = await startTestApp({}, { now: clock.now })
    badRelease = await simulate(app, 'bad-release')
    await simulate(app, 'bad-flag')
    lowTraffic = await simulate(app, 'low-traffic', { ratePerSecond: 0.5 })
    // A history with a change in it: too early to decide, then rollback.
    const { analysisId, startMs } = badRelease
    await recordVerdicts(app, clock, analysisId, [startMs + 60_000, startMs + 2 * 60_000])
    await recordVerdicts(app, clock, analysisId, [Date.now()])
    const response = await fetch(`${app.apiUrl}/api/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: HOSTILE_SERVICE,
        baseline: { release: '1.0.0' },
        canary: { release: HOSTILE_RELEASE },
        startTime: new Date(Date.now() - 600_000).toISOString(),
      }),
    })
    hostileId = ((await response.json()) as { id: string }).id
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
  })

  it('lists the analyses with their live verdicts', async () => {
    const watched = await openPage(browser, `${app.apiUrl}/`)
    await watched.page.waitForSelector('body[data-state="ready"]')
    const rows = watched.page.locator('table.analyses tbody tr')
    expect(await rows.count()).toBe(4)
    const checkout = watched.page.locator(`tr[data-analysis="${badRelease.analysisId}"]`)
    expect(await checkout.locator('.decision').innerText()).toBe('rollback')
    expect(await checkout.locator('td.why').innerText()).toMatch(/error-rate/)
    const screenshot = await saveScreenshot(watched.page, 'page-analyses')
    await expectRendered(watched, { minCharts: 0, minTextLength: 150 }, screenshot)
  })

  it('shows an analysis: cohort charts from real data, the verdict timeline and the reasons in words', async () => {
    const watched = await openPage(browser, `${app.apiUrl}/analyses/${badRelease.analysisId}`)
    const { page } = watched
    await page.waitForSelector('body[data-state="ready"]')

    for (const chart of ['requests', 'error-rate', 'latency-p95', 'latency-p50']) {
      for (const cohort of ['baseline', 'canary']) {
        const series = page.locator(`[data-chart="${chart}"] [data-series="${cohort}"]`)
        expect(
          Number(await series.getAttribute('data-points')),
          `${chart} ${cohort}`,
        ).toBeGreaterThan(15)
        expect(await series.locator('path').getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+ L/)
      }
    }
    const spans = page.locator('[data-chart="verdict-timeline"] rect.decision-span')
    expect(new Set(await attributeOfAll(spans, 'data-decision'))).toEqual(
      new Set(['continue', 'rollback']),
    )
    expect(await page.locator('h2 .decision').innerText()).toBe('rollback')
    expect(await page.locator('ol.reasons').innerText()).toMatch(
      /error-rate: canary .* vs baseline/,
    )
    expect(await page.locator('table.metrics tbody tr').count()).toBe(4)
    expect(await page.locator('table.changes tbody tr').count()).toBe(2)

    const screenshot = await saveScreenshot(page, 'page-analysis')
    await expectRendered(watched, { minCharts: 5 }, screenshot)
  })

  it('lists what a low-traffic verdict is still missing, cohort by cohort', async () => {
    const watched = await openPage(browser, `${app.apiUrl}/analyses/${lowTraffic.analysisId}`)
    const { page } = watched
    await page.waitForSelector('body[data-state="ready"]')
    expect(await page.locator('h2 .decision').innerText()).toBe('continue')
    const missing = await page.locator('section.verdict .missing li').allInnerTexts()
    expect(missing).toContainEqual(
      expect.stringMatching(
        /^requests: the canary needs [\d,]+ more for error-rate \(has [\d,]+ of [\d,]+\)$/,
      ),
    )
    const reasons = await page.locator('ol.reasons li').allInnerTexts()
    expect(new Set(reasons).size).toBe(reasons.length)
    expect(watched.problems).toEqual([])
  })

  it('draws from /series: both cohorts minute by minute, described in /openapi.json', async () => {
    const series = (await (
      await fetch(`${app.apiUrl}/api/v1/analyses/${badRelease.analysisId}/series`)
    ).json()) as {
      stepSeconds: number
      baseline: { selector: unknown; points: { requests: number; errorRate: number }[] }
      canary: { selector: unknown; points: { requests: number; errorRate: number }[] }
    }
    expect(series.stepSeconds).toBe(60)
    expect(series.baseline.selector).toEqual({ release: '1.4.2' })
    expect(series.canary.selector).toEqual({ release: '1.5.0' })
    const total = (points: { requests: number }[]): number =>
      points.reduce((sum, point) => sum + point.requests, 0)
    // 70% of the traffic is the baseline's, 30% the canary's.
    const share =
      total(series.canary.points) / (total(series.canary.points) + total(series.baseline.points))
    expect(share).toBeGreaterThan(0.25)
    expect(share).toBeLessThan(0.35)
    const openapi = (await (await fetch(`${app.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>
    }
    expect(openapi.paths).toHaveProperty(['/api/v1/analyses/{id}/series', 'get'])
  })

  it('shows what users typed as text and runs none of it', async () => {
    for (const path of ['/', `/analyses/${hostileId}`]) {
      const watched = await openPage(browser, `${app.apiUrl}${path}`)
      const { page } = watched
      await page.waitForSelector('body[data-state="ready"]')
      expect(await page.locator('main').innerText()).toContain(HOSTILE_SERVICE)
      expect(await page.locator('main').innerText()).toContain(HOSTILE_RELEASE)
      expect(await page.locator('main img, main script').count()).toBe(0)
      expect(await page.evaluate('window.__pwned')).toBeUndefined()
      expect(watched.problems).toEqual([])
    }
  })

  it('fails its rendering check on a blank page and on a broken one', async () => {
    const blank = await openPage(browser, 'about:blank')
    await expect(
      expectRendered(blank, { minCharts: 1 }, await saveScreenshot(blank.page, 'check-blank')),
    ).rejects.toThrow(/characters of visible text[\s\S]*charts drawn[\s\S]*distinct colours/)
    const broken = await openPage(browser, `${app.apiUrl}/analyses/no-such-analysis`)
    await broken.page.waitForSelector('body[data-state="problem"]')
    await expect(
      expectRendered(broken, { minCharts: 1 }, await saveScreenshot(broken.page, 'check-broken')),
    ).rejects.toThrow(/HTTP 404/)
  })
})

describe.skipIf(skip !== undefined)('the built-in page on a server that requires tokens', () => {
  const TOKEN = 'read-token-for-the-page-test'
  let app: RunningApp
  let browser: Browser

  beforeAll(async () => {
    browser = await launchBrowser()
    app = await startTestApp({ 'auth.tokens': [`read:${TOKEN}`] })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
  })

  it('asks for a read token, then shows the analyses with it', async () => {
    const { page } = await openPage(browser, `${app.apiUrl}/`)
    await page.waitForSelector('body[data-state="problem"] #token-form')
    await page.fill('#token-form input[name="token"]', TOKEN)
    await page.click('#token-form button')
    await page.waitForSelector('body[data-state="ready"]')
    expect(await page.locator('h1').innerText()).toBe('Releases in flight')
  })
})

if (skip !== undefined) console.warn(`UI tests skipped: ${skip}`)
