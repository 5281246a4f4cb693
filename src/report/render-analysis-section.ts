import { COLORS, lineChart, timelineChart, type ChartMarker } from '../api/ui/charts.js'
import { eventCharts } from '../api/ui/event-charts.js'
import { html, type SafeHtml } from '../api/ui/html.js'
import {
  decisionBadge,
  decisionChanges,
  describeSelector,
  formatMs,
  formatPercent,
  formatTime,
  metricsTable,
  missingList,
  uniqueReasons,
  type MetricView,
  type MissingView,
  type SelectorView,
} from '../api/ui/verdict-view.js'
import type { VerdictRecord } from '../store/analyses-repository.ts'
import type { EventSeries } from '../store/event-cohort-queries.ts'
import type { SeriesPoint } from '../store/series-queries.ts'
import type { AnalysisReport } from './report-model.ts'

/** One analysis in a report: how its decision evolved, and both cohorts around it. */
export function renderAnalysisSection(
  entry: AnalysisReport,
  window: {
    fromMs: number
    toMs: number
    markers: readonly ChartMarker[]
    /** The report's colour of each release, for cohorts that are whole releases. */
    releaseColors?: ReadonlyMap<string, string>
  },
): SafeHtml {
  const { analysis, verdicts } = entry
  const colorOf = (selector: SelectorView, fallback: string): string =>
    selector.release !== undefined && selector.flag === undefined
      ? (window.releaseColors?.get(selector.release) ?? fallback)
      : fallback
  const cohortName = (cohort: string, selector: SelectorView): string =>
    `${cohort}: ${describeSelector(selector)}`
  const last = verdicts.at(-1)
  const markers = [{ tMs: analysis.startMs, label: 'analysis start' }, ...window.markers]
  const cohortChart = (
    id: string,
    title: string,
    pick: (point: SeriesPoint) => number | null,
    formatValue: (value: number) => string,
  ): SafeHtml =>
    lineChart({
      id,
      title,
      fromMs: window.fromMs,
      toMs: window.toMs,
      markers,
      formatValue,
      minYMax: id === 'analysis-error-rate' ? 0.001 : 0,
      series: [
        {
          key: 'baseline',
          name: cohortName('baseline', analysis.baseline),
          color: colorOf(analysis.baseline, COLORS.baseline),
          points: toPoints(entry.baseline, pick),
        },
        {
          key: 'canary',
          name: cohortName('canary', analysis.canary),
          color: colorOf(analysis.canary, COLORS.canary),
          points: toPoints(entry.canary, pick),
        },
      ],
    })
  return html`<section class="analysis" data-analysis="${analysis.id}">
    <h2>
      Analysis of ${analysis.service}:
      ${last === undefined ? 'never evaluated' : decisionBadge(last.decision)}
    </h2>
    <p>
      baseline <strong>${describeSelector(analysis.baseline)}</strong> against canary
      <strong>${describeSelector(analysis.canary)}</strong> in
      ${analysis.environment || 'every environment'}, from ${formatTime(analysis.startMs)}; id
      <code>${analysis.id}</code>
    </p>
    ${timelineChart({
      id: 'verdict-history',
      title: 'Verdict history: the decision at each recorded evaluation',
      entries: verdicts.map((record) => ({ tMs: record.evaluatedAtMs, decision: record.decision })),
      fromMs: window.fromMs,
      toMs: window.toMs,
      markers: window.markers,
    })}
    ${decisionChangesTable(verdicts)}
    <div class="charts">
      ${cohortChart(
        'analysis-error-rate',
        'Error rate, baseline and canary',
        (point) => (point.requests === 0 ? null : point.errors / point.requests),
        formatPercent,
      )}
      ${cohortChart('analysis-latency', 'p95 latency, baseline and canary', (point) => point.p95Ms, formatMs)}
    </div>
    ${eventCharts({
      fromMs: window.fromMs,
      toMs: window.toMs,
      markers,
      baseline: toEventChartSeries(entry.baselineEvents),
      canary: toEventChartSeries(entry.canaryEvents),
    })}
    ${blastRadiusCharts(entry, window)} ${last === undefined ? '' : lastVerdictMetrics(last)}
  </section>`
}

/** Other services charted most: the blast radius of a wide fan-out is summarised by these. */
const MAX_BLAST_CHARTS = 4

/**
 * The blast radius as the judge froze it: each other service's error rate on the traces
 * through the baseline and through the canary, minute by minute.
 */
function blastRadiusCharts(
  entry: AnalysisReport,
  window: { fromMs: number; toMs: number; markers: readonly ChartMarker[] },
): SafeHtml | '' {
  const rows = (entry.blastRadius ?? []).filter((row) => row.service !== '')
  if (rows.length === 0) return ''
  const traffic = new Map<string, number>()
  for (const row of rows) traffic.set(row.service, (traffic.get(row.service) ?? 0) + row.requests)
  const services = [...traffic.entries()]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, MAX_BLAST_CHARTS)
    .map(([service]) => service)
  const series = (service: string, cohort: 'baseline' | 'canary') =>
    rows
      .filter((row) => row.service === service && row.cohort === cohort)
      .sort((a, b) => a.startMs - b.startMs)
      .map((row) => ({
        tMs: row.startMs,
        value: row.requests === 0 ? null : row.errors / row.requests,
      }))
  return html`<h3>Blast radius: other services on the canary's traces</h3>
    <div class="charts">
      ${services.map((service) =>
        lineChart({
          id: `blast-radius-${service}`,
          title: `${service}'s error rate on the traces through each cohort`,
          fromMs: window.fromMs,
          toMs: window.toMs,
          markers: window.markers,
          formatValue: formatPercent,
          minYMax: 0.001,
          series: [
            {
              key: 'baseline',
              name: `through baseline ${describeSelector(entry.analysis.baseline)}`,
              color: COLORS.baseline,
              points: series(service, 'baseline'),
            },
            {
              key: 'canary',
              name: `through canary ${describeSelector(entry.analysis.canary)}`,
              color: COLORS.canary,
              points: series(service, 'canary'),
            },
          ],
        }),
      )}
    </div>`
}

/** Every change of decision with all its reasons: the argument a postmortem needs. */
function decisionChangesTable(verdicts: readonly VerdictRecord[]): SafeHtml {
  const changes = decisionChanges(verdicts)
  if (changes.length === 0) return html`<p class="empty">No verdict was ever recorded.</p>`
  return html`<table class="changes">
    <thead>
      <tr>
        <th>from</th>
        <th>decision</th>
        <th>reasons</th>
      </tr>
    </thead>
    <tbody>
      ${changes.map(
        (record) =>
          html`<tr>
            <td>${formatTime(record.evaluatedAtMs)}</td>
            <td>${decisionBadge(record.decision)}</td>
            <td>
              <ul>
                ${uniqueReasons(record.reasons).map((reason) => html`<li>${reason}</li>`)}
              </ul>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

function lastVerdictMetrics(record: VerdictRecord): SafeHtml {
  const body = record.body as {
    metrics?: readonly MetricView[]
    missing?: readonly MissingView[]
  } | null
  return html`<h3>Metrics at the last verdict (${formatTime(record.evaluatedAtMs)})</h3>
    ${metricsTable(body?.metrics ?? [])} ${missingList(body?.missing)}`
}

function toPoints(
  points: readonly SeriesPoint[],
  pick: (point: SeriesPoint) => number | null,
): { tMs: number; value: number | null }[] {
  return points.map((point) => ({ tMs: point.startMs, value: pick(point) }))
}

function toEventChartSeries(series: readonly EventSeries[]) {
  return series.map(({ name, minutes }) => ({
    name,
    points: minutes.map((minute) => ({ tMs: minute.startMs, ...minute })),
  }))
}
