// The built-in page's two views as markup, from API responses. No DOM here: page.js fetches
// and inserts, these functions only decide what to show. Every value from the API passes
// through `html`, which escapes it: service names, releases and flag keys come from users.
import { COLORS, lineChart, timelineChart } from './charts.js'
import { eventCharts } from './event-charts.js'
import { html } from './html.js'
import {
  decisionBadge,
  decisionChanges,
  describeSelector,
  formatMs,
  formatPercent,
  formatTime,
  metricsTable,
  missingList,
  reasonsList,
  uniqueReasons,
} from './verdict-view.js'

/**
 * @param {any[]} analyses as GET /api/v1/analyses returns them
 * @param {Map<string, any>} verdicts the live verdict (or an Error) by analysis id
 */
export function renderAnalysisList(analyses, verdicts) {
  return html`<h1>Analyses</h1>
    ${analysesTable(analyses, verdicts)}`
}

/**
 * The analyses with their live verdicts, or a hint on how to start one.
 *
 * @param {any[]} analyses as GET /api/v1/analyses returns them
 * @param {Map<string, any>} verdicts the live verdict (or an Error) by analysis id
 */
export function analysesTable(analyses, verdicts) {
  return analyses.length === 0
    ? html`<p class="empty">
        No analyses yet. Create one with <code>POST /api/v1/analyses</code>, or run
        <code>npx release-health simulate</code> to watch one unfold.
      </p>`
    : html`<table class="analyses">
        <thead>
          <tr>
            <th>service</th>
            <th>environment</th>
            <th>baseline</th>
            <th>canary</th>
            <th>started</th>
            <th>verdict</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          ${analyses.map((analysis) => analysisRow(analysis, verdicts.get(analysis.id)))}
        </tbody>
      </table>`
}

function analysisRow(analysis, verdict) {
  const href = `/analyses/${encodeURIComponent(analysis.id)}`
  const failed = verdict instanceof Error
  return html`<tr data-analysis="${analysis.id}">
    <td data-label="service"><a href="${href}">${analysis.service}</a></td>
    <td data-label="environment">${analysis.environment || 'all'}</td>
    <td data-label="baseline">${describeSelector(analysis.baseline)}</td>
    <td data-label="canary">${describeSelector(analysis.canary)}</td>
    <td data-label="started">${formatTime(Date.parse(analysis.startTime))}</td>
    <td data-label="verdict">
      ${failed || verdict === undefined ? '…' : decisionBadge(verdict.decision)}
    </td>
    <td class="why" data-label="why">
      ${failed ? verdict.message : (verdict?.reasons?.[0] ?? '')}
    </td>
  </tr>`
}

/**
 * @param {{ analysis: any, verdict: any, history: any, series: any }} data API responses;
 *   `series` is undefined when the server has no series source.
 */
export function renderAnalysisPage({ analysis, verdict, history, series }) {
  const startMs = Date.parse(analysis.startTime)
  const evaluatedMs = Date.parse(verdict.evaluatedAt)
  const entries = [...history.verdicts]
    .map((record) => ({ tMs: Date.parse(record.evaluatedAt), ...record }))
    .sort((a, b) => a.tMs - b.tMs)
  return html`<p><a href="/analyses">← all analyses</a></p>
    <h1>
      ${analysis.service} <span class="muted">${analysis.environment || 'all environments'}</span>
    </h1>
    <p class="cohorts">
      baseline <strong>${describeSelector(analysis.baseline)}</strong> against canary
      <strong>${describeSelector(analysis.canary)}</strong>, since ${formatTime(startMs)}
    </p>
    <section class="verdict" aria-labelledby="verdict-heading">
      <h2 id="verdict-heading">Verdict ${decisionBadge(verdict.decision)}</h2>
      <p class="muted">evaluated ${formatTime(evaluatedMs)}</p>
      ${reasonsList(verdict.reasons)} ${missingList(verdict.missing)}
    </section>
    <section aria-labelledby="series-heading">
      <h2 id="series-heading">Cohorts minute by minute</h2>
      ${
        series === undefined
          ? html`<p class="muted">This server has no series source; charts are unavailable.</p>`
          : cohortCharts(series)
      }
    </section>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Verdict timeline</h2>
      ${timelineChart({
        id: 'verdict-timeline',
        title: 'Decision at each recorded evaluation',
        entries,
        fromMs: startMs,
        toMs: Math.max(evaluatedMs, entries.at(-1)?.tMs ?? startMs),
      })}
      ${decisionChangesTable(entries)}
    </section>
    <section aria-labelledby="metrics-heading">
      <h2 id="metrics-heading">Metrics</h2>
      ${metricsTable(verdict.metrics)}
    </section>`
}

/** The charts an SRE reads first (traffic, errors, latency), then the release events. */
function cohortCharts(series) {
  const fromMs = Date.parse(series.from)
  const toMs = Date.parse(series.to)
  const chart = (id, title, pick, formatValue, minYMax = 0) =>
    lineChart({
      id,
      title,
      fromMs,
      toMs,
      formatValue,
      minYMax,
      series: [
        { name: 'baseline', color: COLORS.baseline, points: toPoints(series.baseline, pick) },
        { name: 'canary', color: COLORS.canary, points: toPoints(series.canary, pick) },
      ],
    })
  return html`<div class="charts">
      ${chart('requests', 'Requests per minute', (point) => point.requests, formatCount)}
      ${chart('error-rate', 'Error rate', (point) => point.errorRate, formatPercent, 0.001)}
      ${chart('latency-p95', 'p95 latency', (point) => point.p95Ms, formatMs)}
      ${chart('latency-p50', 'Median latency', (point) => point.p50Ms, formatMs)}
    </div>
    ${eventCharts({
      fromMs,
      toMs,
      baseline: toEventSeries(series.baseline),
      canary: toEventSeries(series.canary),
    })}`
}

/** A cohort's release events from the series response, for `eventCharts`. */
function toEventSeries(cohort) {
  return (cohort.events ?? []).map((series) => ({
    name: series.name,
    points: series.points.map((point) => ({
      tMs: Date.parse(point.time),
      meanValue: point.meanValue,
      failureRate: point.failureRate,
    })),
  }))
}

function toPoints(cohort, pick) {
  return cohort.points.map((point) => ({ tMs: Date.parse(point.time), value: pick(point) }))
}

/** Only the evaluations where the decision changed: the story, without the polling noise. */
function decisionChangesTable(entries) {
  const changes = decisionChanges(entries)
  if (changes.length === 0) return ''
  return html`<table class="changes">
    <thead>
      <tr>
        <th>since</th>
        <th>decision</th>
        <th>because</th>
      </tr>
    </thead>
    <tbody>
      ${changes.map(
        (entry) =>
          html`<tr>
            <td>${formatTime(entry.tMs)}</td>
            <td>${decisionBadge(entry.decision)}</td>
            <td>${uniqueReasons(entry.reasons ?? [])[0] ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

/** An error box, or the token form when the server wants a bearer token. */
export function renderProblem(error) {
  if (error?.code === 'RH_API_UNAUTHORIZED' || error?.code === 'RH_API_FORBIDDEN') {
    return html`<section class="problem" role="alert">
      <h1>A read token is needed</h1>
      <p>${error.message}</p>
      <form id="token-form">
        <label
          >Bearer token <input name="token" type="password" autocomplete="off" required
        /></label>
        <button type="submit">Use token</button>
      </form>
      <p class="muted">The token is kept in this tab only (session storage).</p>
    </section>`
  }
  return html`<section class="problem" role="alert">
    <h1>Something went wrong</h1>
    <p>${error?.message ?? String(error)}</p>
  </section>`
}

function formatCount(value) {
  return value >= 10_000 ? `${Math.round(value / 1000)}k` : String(Math.round(value))
}
