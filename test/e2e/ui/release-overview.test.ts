import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { RunningApp } from '../../../src/app.ts'
import { startTestApp } from '../../helpers/app.ts'
import {
  browserSkipReason,
  expectRendered,
  launchBrowser,
  openPage,
  saveScreenshot,
  type WatchedPage,
} from '../../helpers/browser.ts'
import {
  createClock,
  recordVerdicts,
  simulate,
  type SimulatedAnalysis,
} from '../../integration/dashboards/simulated-data.ts'

const skip = browserSkipReason()

interface Overview {
  services: {
    service: string
    releases: { name: string; share: number | null; inFlight: boolean; burnRate: number | null }[]
    flags: { key: string; variants: { name: string; share: number | null }[] }[]
    analyses: { id: string }[]
    trains: { id: string; name: string }[]
  }[]
  timeline: { kind: string; service: string; name?: string; decision?: string }[]
}

describe.skipIf(skip !== undefined)('the release overview at / in headless Chromium', () => {
  const clock = createClock()
  let app: RunningApp
  let browser: Browser
  let badRelease: SimulatedAnalysis
  let trainId: string

  beforeAll(async () => {
    browser = await launchBrowser()
    app = await startTestApp({}, { now: clock.now })
    badRelease = await simulate(app, 'bad-release')
    await simulate(app, 'bad-flag')
    // A decision history: too early to decide, then rollback.
    const { analysisId, startMs } = badRelease
    await recordVerdicts(app, clock, analysisId, [startMs + 60_000, Date.now()])
    const response = await fetch(`${app.apiUrl}/api/v1/trains`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'release-42',
        environment: 'production',
        startTime: new Date(startMs).toISOString(),
        members: [
          { service: 'checkout', baseline: { release: '1.4.2' }, canary: { release: '1.5.0' } },
          {
            service: 'search',
            baseline: { release: '3.1.0', flag: { key: 'semantic-ranking', variant: 'off' } },
            canary: { release: '3.1.0', flag: { key: 'semantic-ranking', variant: 'on' } },
          },
        ],
      }),
    })
    expect(response.status).toBe(201)
    trainId = ((await response.json()) as { id: string }).id
    await fetch(`${app.apiUrl}/api/v1/trains/${trainId}/verdict?requester=test-controller`)
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
  })

  it('serves the overview as data: releases and flag variants in flight, shares, burn and the calendar', async () => {
    const overview = (await (await fetch(`${app.apiUrl}/api/v1/overview`)).json()) as Overview
    const checkout = overview.services.find((service) => service.service === 'checkout')
    expect(checkout?.releases.map((release) => release.name).sort()).toEqual(['1.4.2', '1.5.0'])
    const shares = checkout?.releases.map((release) => release.share ?? 0) ?? []
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 6)
    // 30% of checkout's traffic is the canary's.
    const canary = checkout?.releases.find((release) => release.name === '1.5.0')
    expect(canary?.share).toBeGreaterThan(0.2)
    expect(canary?.share).toBeLessThan(0.4)
    // 4% errors against a 99.9% SLO burns the budget about 40 times too fast.
    expect(canary?.burnRate).toBeGreaterThan(20)
    expect(checkout?.analyses.map((analysis) => analysis.id)).toContain(badRelease.analysisId)
    expect(checkout?.trains).toEqual([{ id: trainId, name: 'release-42' }])
    const search = overview.services.find((service) => service.service === 'search')
    expect(search?.flags.map((flag) => flag.key)).toContain('semantic-ranking')

    const kinds = new Set(overview.timeline.map((event) => event.kind))
    expect(kinds).toEqual(new Set(['release', 'flag', 'decision']))
    const decisions = overview.timeline
      .filter((event) => event.kind === 'decision' && event.service === 'checkout')
      .map((event) => event.decision)
    expect(decisions).toEqual(expect.arrayContaining(['continue', 'rollback']))
  })

  for (const viewport of [
    { name: 'desktop', width: 1440, height: 1000 },
    { name: 'phone', width: 390, height: 844 },
  ]) {
    it(`renders at ${viewport.width} px without console errors or sideways scrolling, every chart mark saying its value on hover`, async () => {
      const watched = await openPage(browser, `${app.apiUrl}/`, { viewport })
      const { page } = watched
      await page.waitForSelector('body[data-state="ready"]')
      expect(await page.locator('h1').innerText()).toBe('Releases in flight')

      const card = page.locator('article.service-card[data-service="checkout"]')
      expect(await card.locator('.share-chart .mark').count()).toBe(2)
      expect(await card.locator('.judged .decision').allInnerTexts()).toEqual([
        'rollback',
        'rollback',
      ])
      expect(await page.locator('[data-chart="budget-burn"] .mark').count()).toBeGreaterThan(3)
      const calendar = page.locator('[data-chart="release-calendar"]')
      expect(await calendar.locator('.mark[data-kind="decision"]').count()).toBeGreaterThan(1)
      expect(await calendar.locator('.mark[data-kind="release"]').count()).toBeGreaterThan(1)
      expect(await page.locator('ol.calendar li').count()).toBeGreaterThan(3)

      await expectHoverValues(watched)
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )
      expect(overflow).toBe(0)
      const screenshot = await saveScreenshot(page, `overview-${viewport.width}`)
      await expectRendered(watched, { minCharts: 4 }, screenshot)
      expect(watched.problems).toEqual([])
    })
  }

  it('keeps the list of analyses at /analyses', async () => {
    const watched = await openPage(browser, `${app.apiUrl}/analyses`)
    await watched.page.waitForSelector('body[data-state="ready"]')
    expect(await watched.page.locator('h1').innerText()).toBe('Analyses')
    expect(await watched.page.locator('table.analyses tbody tr').count()).toBe(2)
    expect(watched.problems).toEqual([])
  })
})

/**
 * Every mark of every chart carries a tooltip (an SVG <title>) with a number in it, and
 * hovering marks raises no error. Browsers draw native tooltips outside the page, so the
 * tooltip's text is read from the DOM.
 */
async function expectHoverValues(watched: WatchedPage): Promise<void> {
  const { page } = watched
  const figures = await page.locator('main figure.chart').all()
  expect(figures.length).toBeGreaterThan(3)
  for (const figure of figures) {
    const marks = figure.locator('.mark')
    const count = await marks.count()
    expect(count, (await figure.getAttribute('data-chart')) ?? 'a chart').toBeGreaterThan(0)
    const titles = await marks.locator('> title').allTextContents()
    expect(titles).toHaveLength(count)
    for (const title of titles) expect(title).toMatch(/\d/)
    await marks.first().hover({ force: true })
  }
}

if (skip !== undefined) console.warn(`UI tests skipped: ${skip}`)
