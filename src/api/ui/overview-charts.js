// The release overview's charts as SVG markup: traffic shares, error-budget burn and the
// release calendar. Every mark carries a <title>, so hovering it shows its value (the
// browser's own tooltip: no script needed, and the page's CSP allows it). Types in
// overview-charts.d.ts.
import { COLORS, SERIES_COLORS, decisionColor } from './charts.js'
import { html } from './html.js'

/** Share bars sit in service cards, the other two side by side: drawn at about their size. */
const SHARE_WIDTH = 320
const WIDTH = 480
const CALENDAR_WIDTH = 640
const LEFT = 120
const RIGHT = 16

/** A bar from (x, y) of width w and height h, as a path: marks are paths in every chart here. */
function bar(x, y, w, h) {
  return `M${round(x)} ${round(y)} h${round(Math.max(1, w))} v${round(h)} h${round(-Math.max(1, w))} Z`
}

/**
 * One stacked bar: each part's share of the whole, labelled inside when it fits.
 *
 * @param {import('./overview-charts.d.ts').ShareBarOptions} options
 */
export function shareBar(options) {
  const height = 44
  const inner = SHARE_WIDTH - 2 * 8
  let x = 8
  const parts = options.parts.filter((part) => part.share > 0)
  return html`<figure class="chart share-chart" data-chart="${options.id}">
    <svg viewBox="0 0 ${SHARE_WIDTH} ${height}" role="img" aria-label="${options.title}">
      <title>${options.title}</title>
      ${parts.map((part, index) => {
        const w = part.share * inner
        const left = x
        x += w
        return html`<g class="mark" data-name="${part.name}" data-value="${part.share}">
          <path d="${bar(left, 6, w, 26)}" fill="${SERIES_COLORS[index % SERIES_COLORS.length]}" />
          ${
            w > 8 * (part.name.length + 7) &&
            html`<text x="${round(left + 6)}" y="24" font-size="13" fill="#ffffff"
              >${part.name} ${percent(part.share)}</text
            >`
          }
          <title>${part.name}: ${percent(part.share)} of requests (${part.detail})</title>
        </g>`
      })}
      ${
        parts.length === 0 &&
        html`<text x="${SHARE_WIDTH / 2}" y="24" text-anchor="middle" font-size="13" fill="#5b6170"
          >no recent requests</text
        >`
      }
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`
}

/**
 * Horizontal bars of error-budget burn rate, one per release or variant in flight, with the
 * 1× line (the budget lasts exactly the SLO period) and the 14.4× page line of the SRE
 * workbook's fast-burn window.
 *
 * @param {import('./overview-charts.d.ts').BurnChartOptions} options
 */
export function burnChart(options) {
  const rowHeight = 22
  const top = 24
  const height = top + Math.max(1, options.rows.length) * rowHeight + 22
  const max = niceMax(Math.max(2, ...options.rows.map((row) => row.burnRate)))
  const x = (value) => LEFT + (Math.min(value, max) / max) * (WIDTH - LEFT - RIGHT)
  const guides = [1, 14.4].filter((value) => value <= max)
  return html`<figure class="chart" data-chart="${options.id}">
    <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${options.title}">
      <title>${options.title}</title>
      ${guides.map(
        (value) =>
          html`<line
              x1="${x(value)}"
              x2="${x(value)}"
              y1="${top - 6}"
              y2="${height - 18}"
              stroke="${COLORS.marker}"
              stroke-dasharray="4 3"
            />
            <text x="${x(value) + 3}" y="${top - 10}" font-size="11" fill="${COLORS.marker}"
              >${value}×</text
            >`,
      )}
      ${options.rows.map((row, index) => {
        const y = top + index * rowHeight
        const colour =
          row.burnRate >= 14.4
            ? COLORS.rollback
            : row.burnRate >= 1
              ? COLORS.inconclusive
              : COLORS.promote
        return html`<g class="mark" data-name="${row.label}" data-value="${row.burnRate}">
          <text x="${LEFT - 6}" y="${y + 14}" text-anchor="end" font-size="11" fill="#2b2f38"
            >${clip(row.label, 17)}</text
          >
          <path d="${bar(LEFT, y + 3, x(row.burnRate) - LEFT, rowHeight - 6)}" fill="${colour}" />
          <title>
            ${row.label}: burns the error budget at ${row.burnRate.toFixed(2)}× (${row.detail})
          </title>
        </g>`
      })}
      ${
        options.rows.length === 0 &&
        html`<text
          x="${WIDTH / 2}"
          y="${top + 14}"
          text-anchor="middle"
          font-size="13"
          fill="#5b6170"
          >nothing in flight</text
        >`
      }
      <text x="${LEFT}" y="${height - 4}" font-size="11" fill="#5b6170">0×</text>
      <text x="${WIDTH - RIGHT}" y="${height - 4}" text-anchor="end" font-size="11" fill="#5b6170">
        ${max}×
      </text>
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`
}

/**
 * The release calendar: one lane per service, a diamond where a release first served
 * traffic, a triangle for a flag variant, a dot in the decision's colour where an analysis or
 * train changed its decision.
 *
 * @param {import('./overview-charts.d.ts').CalendarOptions} options
 */
export function calendarChart(options) {
  const lanes = [...new Set(options.events.map((event) => event.lane))]
  const laneHeight = 28
  const top = 10
  const height = top + Math.max(1, lanes.length) * laneHeight + 24
  // From shortly before the first event: a day's window with changes in its last hour would
  // squeeze them all into one corner.
  const first = Math.min(options.toMs, ...options.events.map((event) => event.tMs))
  const fromMs = Math.max(options.fromMs, first - Math.max(5 * 60_000, (options.toMs - first) / 10))
  const spanMs = Math.max(60_000, options.toMs - fromMs)
  const x = (tMs) => round(LEFT + ((tMs - fromMs) / spanMs) * (CALENDAR_WIDTH - LEFT - RIGHT))
  const ticks = Array.from({ length: 3 }, (_, index) => fromMs + (index * spanMs) / 2)
  return html`<figure class="chart" data-chart="${options.id}">
    <svg viewBox="0 0 ${CALENDAR_WIDTH} ${height}" role="img" aria-label="${options.title}">
      <title>${options.title}</title>
      ${lanes.map((lane, index) => {
        const y = top + index * laneHeight + laneHeight / 2
        return html`<line
            x1="${LEFT}"
            x2="${CALENDAR_WIDTH - RIGHT}"
            y1="${y}"
            y2="${y}"
            stroke="#e3e6ec"
          />
          <text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="12" fill="#2b2f38"
            >${clip(lane, 18)}</text
          >`
      })}
      ${ticks.map(
        (tMs, index) =>
          html`<text
            x="${x(tMs)}"
            y="${height - 6}"
            text-anchor="${['start', 'middle', 'end'][index]}"
            font-size="11"
            fill="#5b6170"
            >${new Date(tMs).toISOString().slice(5, 16).replace('T', ' ')}</text
          >`,
      )}
      ${options.events.map((event) => {
        const cx = x(event.tMs)
        const cy = top + lanes.indexOf(event.lane) * laneHeight + laneHeight / 2
        const shape =
          event.kind === 'decision'
            ? html`<circle
                cx="${cx}"
                cy="${cy}"
                r="6"
                fill="${decisionColor(event.decision ?? '')}"
              />`
            : event.kind === 'release'
              ? html`<path
                  d="M${cx} ${cy - 8} L${cx + 7} ${cy} L${cx} ${cy + 8} L${cx - 7} ${cy} Z"
                  fill="${COLORS.baseline}"
                />`
              : html`<path
                  d="M${cx} ${cy - 8} L${cx + 7} ${cy + 6} L${cx - 7} ${cy + 6} Z"
                  fill="${COLORS.canary}"
                />`
        return html`<g class="mark" data-kind="${event.kind}" data-name="${event.label}">
          ${shape}
          <title>
            ${new Date(event.tMs).toISOString().slice(0, 16).replace('T', ' ')} UTC: ${event.label}
          </title>
        </g>`
      })}
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`
}

function percent(value) {
  const p = value * 100
  return `${p < 1 && p > 0 ? p.toPrecision(2) : p.toFixed(1)}%`
}

function niceMax(value) {
  for (const step of [2, 5, 10, 20, 50, 100, 200, 500, 1000]) if (value <= step) return step
  return Math.ceil(value / 1000) * 1000
}

function clip(text, length) {
  const chars = [...String(text)]
  return chars.length <= length ? text : `${chars.slice(0, length - 1).join('')}…`
}

function round(value) {
  return Math.round(value * 10) / 10
}
