// Release events (docs/kafka-json-events.md) of both cohorts, minute by minute: one chart of
// the mean event value and one of the failure rate per event name, where the events carry
// them. Shared by the built-in page and `release-health report`; types in event-charts.d.ts.
import { COLORS, lineChart } from './charts.js'
import { html } from './html.js'
import { formatPercent } from './verdict-view.js'

/**
 * @param {import('./event-charts.d.ts').EventChartsOptions} options
 */
export function eventCharts(options) {
  const names = [...new Set([...options.baseline, ...options.canary].map((series) => series.name))]
  if (names.length === 0) return ''
  const charts = names.flatMap((name, index) => {
    const pointsOf = (cohort, pick) =>
      (cohort.find((series) => series.name === name)?.points ?? []).map((point) => ({
        tMs: point.tMs,
        value: pick(point),
      }))
    const chart = (kind, title, pick, formatValue) => {
      const series = [
        { name: 'baseline', color: COLORS.baseline, points: pointsOf(options.baseline, pick) },
        { name: 'canary', color: COLORS.canary, points: pointsOf(options.canary, pick) },
      ]
      const drawn = series.some((line) => line.points.some((point) => point.value !== null))
      return drawn
        ? [
            lineChart({
              id: `event-${index}-${kind}`,
              title,
              fromMs: options.fromMs,
              toMs: options.toMs,
              markers: options.markers ?? [],
              formatValue,
              series,
            }),
          ]
        : []
    }
    return [
      ...chart('value', `${name}: mean value`, (point) => point.meanValue, formatValue),
      ...chart(
        'failure-rate',
        `${name}: failure rate`,
        (point) => point.failureRate,
        formatPercent,
      ),
    ]
  })
  return html`<div class="charts" data-events="${names.join(' ')}">${charts}</div>`
}

function formatValue(value) {
  return Math.abs(value) >= 10_000
    ? `${Math.round(value / 1000)}k`
    : String(Math.round(value * 100) / 100)
}
