import { COLORS, lineChart, TOTAL_COLOR } from '../api/ui/charts.js'
import type { ChartMarker, ChartSeries } from '../api/ui/charts.js'
import { html, SafeHtml } from '../api/ui/html.js'
import {
  decisionBadge,
  decisionChanges,
  formatMs,
  formatPercent,
  formatTime,
} from '../api/ui/verdict-view.js'
import { timelineChart } from '../api/ui/charts.js'
import type { ChangePoint, SeriesPoint } from '../store/series-queries.ts'
import { renderAnalysisSection } from './render-analysis-section.ts'
import {
  changeKey,
  describeChange,
  releaseColors,
  stretchStats,
  totalByMinute,
  type ReportModel,
  type TrainReport,
} from './report-model.ts'

/** How far either side of a change its close-up charts and before/after numbers reach. */
export const AROUND_CHANGE_MS = 30 * 60_000
/** Close-ups drawn at most; a deploy storm is summarised by the table above them. */
const MAX_CLOSE_UPS = 12

/** Report-only layout, on top of the page's stylesheet. */
const REPORT_CSS = `
.summary { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.summary div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; }
.summary strong { display: block; font-size: 1.4rem; }
section.change, section.analysis { margin-top: 2rem; border-top: 2px solid var(--line); }
footer { color: var(--muted); font-size: .8rem; margin-top: 3rem; }
`

/**
 * One self-contained HTML file: styles inline, charts as inline SVG, no script and nothing
 * fetched (a content security policy forbids both), so it can be attached to a postmortem,
 * mailed or printed and still show the same thing.
 */
export function renderReport(model: ReportModel, options: { css: string }): string {
  const title = `Release report: ${model.scope}`
  const markers = toMarkers(model.changes)
  const colors = releaseColors(model.releases)
  const document = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          ${trustedCss(options.css + REPORT_CSS)}
        </style>
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          <p class="muted">
            ${formatTime(model.fromMs)} to ${formatTime(model.toMs)} · generated
            ${formatTime(model.generatedAtMs)} by release-health ${model.version}
          </p>
          ${summary(model)}
          ${model.train === undefined ? '' : trainSection(model.train, model, markers)}
          <h2>What changed</h2>
          ${serviceCharts(model, markers, colors)} ${changesTable(model)}
          ${model.changes.slice(0, MAX_CLOSE_UPS).map((change) => closeUp(model, change, colors))}
          ${model.analyses.map((entry) =>
            renderAnalysisSection(entry, {
              fromMs: model.fromMs,
              toMs: model.toMs,
              markers,
              releaseColors: colors,
            }),
          )}
          <footer>
            Times are UTC. Error rates are failed requests over requests; latency quantiles are
            t-digest estimates per minute.
          </footer>
        </main>
      </body>
    </html>`
  return document.markup
}

/** A train's own decisions: when it changed its mind, and which member and metric caused it. */
function trainSection(
  train: TrainReport,
  model: ReportModel,
  markers: readonly ChartMarker[],
): SafeHtml {
  const last = train.verdicts.at(-1)
  const causesOf = (body: unknown): string =>
    ((body as { causes?: readonly { member: string; metric: string }[] } | null)?.causes ?? [])
      .map((cause) => `${cause.member} ${cause.metric}`)
      .join(', ')
  return html`<section class="train" data-train="${train.id}">
    <h2>
      Release train ${train.name}:
      ${last === undefined ? 'never evaluated' : decisionBadge(last.decision)}
    </h2>
    ${timelineChart({
      id: 'train-history',
      title: 'The train’s decision at each recorded evaluation',
      entries: train.verdicts.map((record) => ({
        tMs: record.evaluatedAtMs,
        decision: record.decision,
      })),
      fromMs: model.fromMs,
      toMs: model.toMs,
      markers,
    })}
    <table class="changes">
      <thead>
        <tr>
          <th>from</th>
          <th>decision</th>
          <th>caused by</th>
          <th>why</th>
        </tr>
      </thead>
      <tbody>
        ${decisionChanges(train.verdicts).map(
          (record) =>
            html`<tr>
              <td>${formatTime(record.evaluatedAtMs)}</td>
              <td>${decisionBadge(record.decision)}</td>
              <td>${causesOf(record.body)}</td>
              <td>${record.reasons[0] ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`
}

function summary(model: ReportModel): SafeHtml {
  const decisions = model.analyses.map((entry) => entry.verdicts.at(-1)?.decision ?? 'none')
  const count = (decision: string): number => decisions.filter((d) => d === decision).length
  const total = stretchStats(totalByMinute(model.releases), model.fromMs, model.toMs)
  return html`<div class="summary">
    <div><strong>${model.changes.length}</strong> changes</div>
    <div><strong>${model.analyses.length}</strong> analyses</div>
    <div><strong>${count('rollback')}</strong> rolled back</div>
    <div><strong>${count('promote')}</strong> promoted</div>
    <div><strong>${total.requests}</strong> requests</div>
    <div><strong>${formatPercent(total.errorRate)}</strong> errors</div>
  </div>`
}

/** The whole service over the window with every change marked: spikes against changes. */
function serviceCharts(
  model: ReportModel,
  markers: readonly ChartMarker[],
  colors: ReadonlyMap<string, string>,
): SafeHtml {
  const window = { fromMs: model.fromMs, toMs: model.toMs, markers }
  const total = totalByMinute(model.releases)
  const releaseSeries = (pick: (point: SeriesPoint) => number | null): ChartSeries[] =>
    [...model.releases.entries()].map(([release, points]) => ({
      name: release,
      color: colors.get(release) ?? COLORS.baseline,
      points: points.map((point) => ({ tMs: point.startMs, value: pick(point) })),
    }))
  return html`<div class="charts">
    ${lineChart({
      ...window,
      id: 'service-error-rate',
      title: `Error rate of ${model.service}, all releases`,
      formatValue: formatPercent,
      minYMax: 0.001,
      series: [{ name: 'all releases', color: TOTAL_COLOR, points: errorRates(total) }],
    })}
    ${lineChart({
      ...window,
      id: 'service-latency',
      title: 'p95 latency by release',
      formatValue: formatMs,
      series: releaseSeries((point) => point.p95Ms),
    })}
    ${lineChart({
      ...window,
      id: 'service-traffic',
      title: 'Requests per minute by release',
      formatValue: (value) => String(Math.round(value)),
      series: releaseSeries((point) => point.requests),
    })}
  </div>`
}

function changesTable(model: ReportModel): SafeHtml {
  if (model.changes.length === 0) {
    return html`<p class="empty">No release or flag variant was first seen in this window.</p>`
  }
  const total = totalByMinute(model.releases)
  return html`<table class="changes">
    <thead>
      <tr>
        <th>first seen</th>
        <th>change</th>
        <th>requests</th>
        <th>service error rate, 30 min before → after</th>
      </tr>
    </thead>
    <tbody>
      ${model.changes.map((change) => {
        const before = stretchStats(
          total,
          change.firstSeenMs - AROUND_CHANGE_MS,
          change.firstSeenMs,
        )
        const after = stretchStats(total, change.firstSeenMs, change.firstSeenMs + AROUND_CHANGE_MS)
        return html`<tr data-change="${changeKey(change)}">
          <td>${formatTime(change.firstSeenMs)}</td>
          <td>${describeChange(change)}</td>
          <td>${change.requests}</td>
          <td>${formatPercent(before.errorRate)} → ${formatPercent(after.errorRate)}</td>
        </tr>`
      })}
    </tbody>
  </table>`
}

/** Half an hour either side of one change: the new cohort against the rest. */
function closeUp(
  model: ReportModel,
  change: ChangePoint,
  colors: ReadonlyMap<string, string>,
): SafeHtml {
  const fromMs = change.firstSeenMs - AROUND_CHANGE_MS
  const toMs = change.firstSeenMs + AROUND_CHANGE_MS
  const markers = [{ tMs: change.firstSeenMs, label: describeChange(change) }]
  const cohorts = closeUpCohorts(model, change)
  const chart = (id: string, title: string, pick: (point: SeriesPoint) => number | null) =>
    lineChart({
      id,
      title,
      fromMs,
      toMs,
      markers,
      formatValue: id.startsWith('error') ? formatPercent : formatMs,
      minYMax: id.startsWith('error') ? 0.001 : 0,
      series: cohorts.map(([name, points], index) => ({
        name,
        color: colors.get(name) ?? (index === 0 ? COLORS.canary : TOTAL_COLOR),
        points: points.map((point) => ({ tMs: point.startMs, value: pick(point) })),
      })),
    })
  return html`<section class="change" data-change="${changeKey(change)}">
    <h3>${describeChange(change)} at ${formatTime(change.firstSeenMs)}</h3>
    <div class="charts">
      ${chart('error-rate-around-change', 'Error rate around the change', (point) =>
        point.requests === 0 ? null : point.errors / point.requests,
      )}
      ${chart('latency-around-change', 'p95 latency around the change', (point) => point.p95Ms)}
    </div>
  </section>`
}

/** The changed cohort first, then what it is compared with. */
function closeUpCohorts(
  model: ReportModel,
  change: ChangePoint,
): (readonly [string, readonly SeriesPoint[]])[] {
  if (change.kind === 'flag') {
    return [
      [describeChange(change), model.flagSeries.get(changeKey(change)) ?? []],
      ['all requests', totalByMinute(model.releases)],
    ]
  }
  const others = [...model.releases.entries()].filter(([release]) => release !== change.release)
  return [[change.release, model.releases.get(change.release) ?? []], ...others]
}

function toMarkers(changes: readonly ChangePoint[]): ChartMarker[] {
  return changes.map((change) => ({ tMs: change.firstSeenMs, label: describeChange(change) }))
}

function errorRates(points: readonly SeriesPoint[]): { tMs: number; value: number | null }[] {
  return points.map((point) => ({
    tMs: point.startMs,
    value: point.requests === 0 ? null : point.errors / point.requests,
  }))
}

/**
 * The stylesheet is the project's own file, not data, so it goes in as it is, with any `</`
 * broken up so that nothing in it can close the style element.
 */
function trustedCss(css: string): SafeHtml {
  return new SafeHtml(css.replaceAll('</', '<\\/'))
}
