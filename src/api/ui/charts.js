// Small SVG charts drawn as markup strings, shared by the built-in page (browser) and
// `release-health report` (Node): the same picture live and in a postmortem. Colours are SVG
// presentation attributes, not styles, so the page's content security policy allows them and
// a report's charts look right on their own. Types are in charts.d.ts.
import { html } from './html.js'

/** Colour-blind-safe (Okabe-Ito) colours for cohorts and decisions. */
export const COLORS = {
  baseline: '#0072b2',
  canary: '#d55e00',
  promote: '#009e73',
  continue: '#8a94a6',
  rollback: '#cc3311',
  inconclusive: '#e69f00',
  marker: '#6b4c9a',
}

/**
 * Releases in a report take these in turn (Okabe-Ito, then Tol's muted): each release keeps
 * its colour in every chart of the report.
 */
export const SERIES_COLORS = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#882255',
  '#44aa99',
  '#332288',
  '#999933',
]

/** Sums over every cohort (all releases, all requests): neutral, never a release's colour. */
export const TOTAL_COLOR = '#4a4f5c'

/** Line charts sit two abreast; the timeline spans the page, so it is drawn wider. */
const LINE_WIDTH = 640
const TIMELINE_WIDTH = 960
const MARGIN = { top: 26, right: 12, bottom: 24, left: 58 }
const MINUTE_MS = 60_000
const TIME_STEPS_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080]

/**
 * A time-series line chart. A series' line breaks where a point is missing or null, so a
 * minute without requests never looks like a smooth trend; a lone point is drawn as a dot.
 *
 * @param {import('./charts.d.ts').LineChartOptions} options
 */
export function lineChart(options) {
  const legendItems = options.series.map((series) => [series.name, series.color])
  const layout = legendLayout(legendItems, LINE_WIDTH)
  // Every legend entry is drawn: rows past the first push the plot down, not off the chart.
  const extra = (layout.rows - 1) * LEGEND_ROW_HEIGHT
  const height = (options.height ?? 200) + extra
  const plot = { ...plotArea(LINE_WIDTH, height), top: MARGIN.top + extra }
  const x = timeScale(options.fromMs, options.toMs, plot)
  const values = options.series.flatMap((series) =>
    series.points.flatMap((point) => (isNumber(point.value) ? [point.value] : [])),
  )
  const yTicks = niceTicks(Math.max(options.minYMax ?? 0, ...values))
  const yMax = yTicks[yTicks.length - 1]
  const y = (value) => plot.bottom - (value / yMax) * (plot.bottom - plot.top)
  const gapMs = options.gapMs ?? MINUTE_MS
  return html`<figure class="chart" data-chart="${options.id ?? 'line'}">
    <svg viewBox="0 0 ${LINE_WIDTH} ${height}" role="img" aria-label="${options.title}">
      <title>${options.title}</title>
      ${yTicks.map(
        (tick) =>
          html`<line
              x1="${plot.left}"
              x2="${plot.right}"
              y1="${y(tick)}"
              y2="${y(tick)}"
              stroke="#e3e6ec"
              stroke-width="1"
            />
            <text
              x="${plot.left - 6}"
              y="${y(tick) + 4}"
              text-anchor="end"
              font-size="11"
              fill="#5b6170"
              >${options.formatValue(tick)}</text
            >`,
      )}
      ${timeAxis(options.fromMs, options.toMs, x, plot)}
      ${groupMarkers(options.markers ?? []).map((marker) => markerLine(marker, x, plot))}
      ${options.series.map((series) => seriesPath(series, x, y, gapMs))} ${legend(layout)}
      ${
        values.length === 0 &&
        html`<text
          x="${(plot.left + plot.right) / 2}"
          y="${(plot.top + plot.bottom) / 2}"
          text-anchor="middle"
          font-size="13"
          fill="#5b6170"
          >no requests in this window</text
        >`
      }
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`
}

/**
 * The decisions of an analysis over time: each decision colours the band from the evaluation
 * that reached it until the next change. Controllers poll every few seconds, so runs of the
 * same decision are drawn as one span.
 *
 * @param {import('./charts.d.ts').TimelineOptions} options
 */
export function timelineChart(options) {
  const height = 84
  const plot = { ...plotArea(TIMELINE_WIDTH, height), top: 30 }
  const x = timeScale(options.fromMs, options.toMs, plot)
  const sorted = [...options.entries].sort((a, b) => a.tMs - b.tMs)
  const entries = sorted.filter((entry, i) => i === 0 || sorted[i - 1].decision !== entry.decision)
  const decisions = [...new Set(entries.map((entry) => entry.decision))]
  const layout = legendLayout(
    decisions.map((decision) => [decision, decisionColor(decision)]),
    TIMELINE_WIDTH,
  )
  return html`<figure class="chart" data-chart="${options.id ?? 'timeline'}">
    <svg viewBox="0 0 ${TIMELINE_WIDTH} ${height}" role="img" aria-label="${options.title}">
      <title>${options.title}</title>
      <rect
        x="${plot.left}"
        y="${plot.top}"
        width="${plot.right - plot.left}"
        height="${plot.bottom - plot.top}"
        fill="#f3f4f7"
      />
      ${entries.map((entry, index) => {
        const next = entries[index + 1]?.tMs ?? options.toMs
        const left = x(entry.tMs)
        return html`<rect
          class="decision-span"
          data-decision="${entry.decision}"
          x="${left}"
          y="${plot.top}"
          width="${Math.max(1, x(next) - left)}"
          height="${plot.bottom - plot.top}"
          fill="${decisionColor(entry.decision)}"
          opacity="0.85"
        >
          <title>${entry.decision} from ${new Date(entry.tMs).toISOString()}</title></rect
        >`
      })}
      ${timeAxis(options.fromMs, options.toMs, x, plot)}
      ${groupMarkers(options.markers ?? []).map((marker) => markerLine(marker, x, plot))}
      ${legend(layout)}
      ${
        entries.length === 0 &&
        html`<text
          x="${(plot.left + plot.right) / 2}"
          y="${plot.bottom - 10}"
          text-anchor="middle"
          font-size="13"
          fill="#5b6170"
          >no verdicts recorded yet</text
        >`
      }
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`
}

/** @param {string} decision */
export function decisionColor(decision) {
  return COLORS[decision] ?? COLORS.continue
}

/**
 * @param {number} width
 * @param {number} height
 */
function plotArea(width, height) {
  return {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  }
}

/**
 * @param {number} fromMs
 * @param {number} toMs
 * @param {{ left: number, right: number }} plot
 */
function timeScale(fromMs, toMs, plot) {
  const spanMs = Math.max(MINUTE_MS, toMs - fromMs)
  return (/** @type {number} */ tMs) =>
    round(plot.left + ((tMs - fromMs) / spanMs) * (plot.right - plot.left))
}

/** Tick labels in UTC, so a page and a report written anywhere show the same times. */
function timeAxis(fromMs, toMs, x, plot) {
  const spanMinutes = Math.max(1, (toMs - fromMs) / MINUTE_MS)
  const stepMinutes = TIME_STEPS_MINUTES.find((step) => spanMinutes / step <= 6) ?? 10080
  const stepMs = stepMinutes * MINUTE_MS
  const ticks = []
  for (let tMs = Math.ceil(fromMs / stepMs) * stepMs; tMs <= toMs; tMs += stepMs) ticks.push(tMs)
  const withDate = stepMinutes >= 720 || toMs - fromMs > 24 * 60 * MINUTE_MS
  return html`<line
      x1="${plot.left}"
      x2="${plot.right}"
      y1="${plot.bottom}"
      y2="${plot.bottom}"
      stroke="#9aa1ae"
      stroke-width="1"
    />
    ${ticks.map(
      (tMs) =>
        html`<text
          x="${x(tMs)}"
          y="${plot.bottom + 16}"
          text-anchor="middle"
          font-size="11"
          fill="#5b6170"
          >${formatTick(tMs, withDate)}</text
        >`,
    )}`
}

function formatTick(tMs, withDate) {
  const iso = new Date(tMs).toISOString()
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16)
}

/**
 * Changes in the same minute share one line, labelled with the first and a count, so labels
 * never print over each other; the tooltip names them all.
 */
function groupMarkers(markers) {
  const byTime = new Map()
  for (const marker of markers)
    byTime.set(marker.tMs, [...(byTime.get(marker.tMs) ?? []), marker.label])
  return [...byTime.entries()].map(([tMs, labels]) => ({
    tMs,
    label: labels.length === 1 ? labels[0] : `${labels[0]} +${labels.length - 1}`,
    title: labels.join(', '),
  }))
}

function markerLine(marker, x, plot) {
  const position = x(marker.tMs)
  return html`<g class="marker">
    <line
      x1="${position}"
      x2="${position}"
      y1="${plot.top - 4}"
      y2="${plot.bottom}"
      stroke="${COLORS.marker}"
      stroke-width="1.5"
      stroke-dasharray="4 3"
    />
    <text x="${position + 3}" y="${plot.top + 8}" font-size="10" fill="${COLORS.marker}"
      >${marker.label}</text
    >
    <title>${new Date(marker.tMs).toISOString()}: ${marker.title}</title>
  </g>`
}

function seriesPath(series, x, y, gapMs) {
  const segments = []
  let current = []
  let previousMs = -Infinity
  for (const point of series.points) {
    if (!isNumber(point.value)) {
      current = []
      continue
    }
    if (point.tMs - previousMs > gapMs * 1.5 || current.length === 0) {
      current = []
      segments.push(current)
    }
    current.push([x(point.tMs), round(y(point.value))])
    previousMs = point.tMs
  }
  const path = segments
    .filter((segment) => segment.length > 1)
    .map((segment) => segment.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px} ${py}`).join(' '))
    .join(' ')
  const dots = segments.filter((segment) => segment.length === 1).map((segment) => segment[0])
  const points = series.points.filter((point) => isNumber(point.value)).length
  return html`<g class="series" data-series="${series.key ?? series.name}" data-points="${points}">
    ${
      path !== '' &&
      html`<path
        d="${path}"
        fill="none"
        stroke="${series.color}"
        stroke-width="2"
        stroke-linejoin="round"
      />`
    }
    ${dots.map(([px, py]) => html`<circle cx="${px}" cy="${py}" r="2.5" fill="${series.color}" />`)}
  </g>`
}

const LEGEND_ROW_HEIGHT = 16
const LEGEND_CHAR_WIDTH = 6.5

/**
 * Where each legend entry goes: left to right, wrapping to a new row before the chart's right
 * edge, so that no entry is cut off however many series (releases) there are.
 *
 * @param {[string, string][]} items name and colour
 * @param {number} width of the chart
 */
function legendLayout(items, width) {
  const right = width - MARGIN.right
  let x = MARGIN.left
  let row = 0
  const placed = items.map(([name, color]) => {
    const itemWidth = 24 + String(name).length * LEGEND_CHAR_WIDTH
    if (x > MARGIN.left && x + itemWidth - 10 > right) {
      x = MARGIN.left
      row++
    }
    const item = { name, color, x, y: 6 + row * LEGEND_ROW_HEIGHT }
    x += itemWidth
    return item
  })
  return { items: placed, rows: row + 1 }
}

/** @param {{ items: { name: string, color: string, x: number, y: number }[] }} layout */
function legend(layout) {
  return layout.items.map(
    (item) =>
      html`<g class="legend-item" data-legend="${item.name}">
        <rect x="${item.x}" y="${item.y}" width="10" height="10" fill="${item.color}" />
        <text x="${item.x + 14}" y="${item.y + 9}" font-size="11" fill="#2b2f38">${item.name}</text>
      </g>`,
  )
}

/**
 * Round axis ticks from 0 to at least `max`: a step of 1, 2, 2.5 or 5 times a power of ten,
 * chosen so that three or four steps cover the data.
 */
function niceTicks(max) {
  const top = max > 0 ? max : 1
  const rough = top / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power
  const count = Math.max(1, Math.ceil(top / step - 1e-9))
  return Array.from({ length: count + 1 }, (_, index) => index * step)
}

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value)
}

function round(value) {
  return Math.round(value * 10) / 10
}
