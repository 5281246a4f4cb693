import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'

/**
 * Headless Chromium for the UI tests: the machine's Debian `chromium` (installed by
 * scripts/ensure-chromium.sh), never a browser a tool downloads by itself.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Screenshots and reports the UI tests keep for people to look at (git-ignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../../test-artifacts')

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI a missing
 * browser is never a reason to skip: the tests run and fail, saying what to install.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true') return undefined
  return `no Chromium at ${CHROMIUM_PATH}; run scripts/ensure-chromium.sh or set CHROMIUM_PATH`
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is required for the UI tests but ${CHROMIUM_PATH} does not exist: run scripts/ensure-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH`,
    )
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS })
}

/** A page whose script errors, console errors and failed requests are collected. */
export interface WatchedPage {
  readonly page: Page
  /** Everything that went wrong while the page loaded and ran. */
  readonly problems: string[]
}

export async function openPage(
  browser: Browser,
  url: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<WatchedPage> {
  // A context of its own, so countColours can open a second page beside it.
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
  })
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`),
  )
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  await page.goto(url)
  return { page, problems }
}

/** The value of an attribute on every element a locator matches. */
export async function attributeOfAll(locator: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)))
}

/** Saves a full-page screenshot under test-artifacts/ and returns its bytes. */
export async function saveScreenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  const png = await page.screenshot({ fullPage: true })
  writeFileSync(join(ARTIFACTS_DIR, `${name}.png`), png)
  return png
}

export interface RenderedCheck {
  /** Charts (`figure.chart svg`) that must be visible, each with something drawn in it. */
  readonly minCharts: number
  /** Visible text the page must hold at least. */
  readonly minTextLength?: number
}

/**
 * Fails when a page is blank or broken: script or request errors, too little text, charts
 * missing, invisible or empty, or a screenshot of (nearly) one colour.
 */
export async function expectRendered(
  watched: WatchedPage,
  check: RenderedCheck,
  screenshot: Buffer,
): Promise<void> {
  const { page, problems } = watched
  const failures = [...problems]
  const text = (await page.locator('body').innerText()).trim()
  if (text.length < (check.minTextLength ?? 200)) {
    failures.push(`only ${text.length} characters of visible text`)
  }
  const charts = await Promise.all(
    (await page.locator('figure.chart svg').all()).map(async (svg) => {
      const box = await svg.boundingBox()
      const marks = await svg.locator('path[d], circle, rect.decision-span').count()
      return { width: box?.width ?? 0, height: box?.height ?? 0, marks }
    }),
  )
  const drawn = charts.filter((chart) => chart.width > 100 && chart.height > 40 && chart.marks > 0)
  if (drawn.length < check.minCharts) {
    failures.push(`${drawn.length} of ${charts.length} charts drawn, expected ${check.minCharts}`)
  }
  const colours = await countColours(page, screenshot)
  if (colours < 8) failures.push(`the screenshot has only ${colours} distinct colours`)
  if (failures.length > 0) {
    throw new Error(`the page did not render properly:\n- ${failures.join('\n- ')}`)
  }
}

/**
 * Distinct colours on a 40x40 grid over the screenshot, counted by the browser itself (a
 * canvas in a fresh blank page decodes the PNG): a blank page has one or two.
 */
async function countColours(page: Page, png: Buffer): Promise<number> {
  const blank = await page.context().newPage()
  try {
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`
    return await blank.evaluate<number>(`(${COUNT_COLOURS})(${JSON.stringify(dataUrl)})`)
  } finally {
    await blank.close()
  }
}

/** Runs in the browser; a string because this project type-checks without the DOM library. */
const COUNT_COLOURS = `async (dataUrl) => {
  const image = new Image()
  image.src = dataUrl
  await image.decode()
  const canvas = document.createElement('canvas')
  canvas.width = image.width
  canvas.height = image.height
  const context = canvas.getContext('2d')
  context.drawImage(image, 0, 0)
  const seen = new Set()
  for (let row = 0; row < 40; row++) {
    for (let column = 0; column < 40; column++) {
      const x = Math.floor(((column + 0.5) * image.width) / 40)
      const y = Math.floor(((row + 0.5) * image.height) / 40)
      seen.add(context.getImageData(x, y, 1, 1).data.join(','))
    }
  }
  return seen.size
}`
