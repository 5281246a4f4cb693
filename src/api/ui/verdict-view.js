// How verdicts read: badges, reasons and the per-metric table, shared by the built-in page
// and `release-health report` so both say the same thing the same way. Types in
// verdict-view.d.ts.
import { html } from './html.js'

const DECISIONS = ['promote', 'continue', 'rollback', 'inconclusive']

/** @param {string} decision */
export function decisionBadge(decision) {
  const known = DECISIONS.includes(decision) ? decision : 'unknown'
  return html`<span class="decision decision-${known}">${decision}</span>`
}

/** @param {readonly string[]} reasons */
export function reasonsList(reasons) {
  if (reasons.length === 0) return html`<p class="muted">No reasons given.</p>`
  return html`<ol class="reasons">
    ${uniqueReasons(reasons).map((reason) => html`<li>${reason}</li>`)}
  </ol>`
}

/**
 * Each sentence once, in its first place: two burn-rate windows scaled to a short analysis can
 * trip with the very same sentence, and saying it twice adds nothing.
 *
 * @param {readonly string[]} reasons
 */
export function uniqueReasons(reasons) {
  return [...new Set(reasons)]
}

/**
 * What a `continue` (or `inconclusive`) verdict is still waiting for, one line per item of
 * its `missing` list: time, requests per cohort, evidence, data.
 *
 * @param {readonly import('./verdict-view.d.ts').MissingView[] | undefined} missing
 */
export function missingList(missing) {
  if (missing === undefined || missing.length === 0) return ''
  return html`<section class="missing">
    <h3>Still missing</h3>
    <ul>
      ${missing.map((item) => html`<li data-missing="${item.kind}">${describeMissing(item)}</li>`)}
    </ul>
  </section>`
}

/** @param {import('./verdict-view.d.ts').MissingView} item */
export function describeMissing(item) {
  switch (item.kind) {
    case 'duration':
      return `time: ${formatSeconds(item.needSeconds - item.haveSeconds)} more (run ${formatSeconds(item.haveSeconds)} of the ${formatSeconds(item.needSeconds)} minimum)`
    case 'samples':
      return `requests: the ${item.cohort} needs ${formatCount(item.need - item.have)} more for ${item.metric} (has ${formatCount(item.have)} of ${formatCount(item.need)})`
    case 'evidence':
      return `evidence: ${item.metric} is not decided yet at the current amount of data`
    case 'data':
      return `data: the ${item.cohort} query failed (${item.error})`
    default:
      return JSON.stringify(item)
  }
}

function formatSeconds(seconds) {
  const total = Math.max(0, Math.round(seconds))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`
  if (minutes > 0) return rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`
  return `${rest}s`
}

function formatCount(value) {
  return Math.max(0, Math.round(value)).toLocaleString('en-US')
}

/**
 * Baseline against canary for every metric, with the effect's anytime-valid interval and
 * the evidence the decision rests on.
 *
 * @param {readonly import('./verdict-view.d.ts').MetricView[]} metrics
 */
export function metricsTable(metrics) {
  if (metrics.length === 0) return html`<p class="muted">No metrics judged.</p>`
  return html`<table class="metrics">
    <thead>
      <tr>
        <th>metric</th>
        <th>decision</th>
        <th>baseline</th>
        <th>canary</th>
        <th>effect [interval]</th>
        <th>tolerance</th>
        <th>evidence</th>
      </tr>
    </thead>
    <tbody>
      ${metrics.map(
        (metric) =>
          html`<tr data-metric="${metric.name}">
            <td>${metric.name}</td>
            <td>${decisionWord(metric.decision)}</td>
            <td>${formatEstimate(metric, metric.baseline)}</td>
            <td>${formatEstimate(metric, metric.canary)}</td>
            <td>
              ${formatEffect(metric, metric.effect)}
              [${formatEffect(metric, metric.interval?.[0] ?? null, '−∞')},
              ${formatEffect(metric, metric.interval?.[1] ?? null, '+∞')}]
            </td>
            <td>${formatEffect(metric, metric.threshold ?? null)}</td>
            <td>${formatEvidence(metric)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

/** "release 1.5.0", "flag new-checkout=on", or both. @param {import('./verdict-view.d.ts').SelectorView} selector */
export function describeSelector(selector) {
  const parts = []
  if (selector.release !== undefined) parts.push(`release ${selector.release}`)
  if (selector.flag !== undefined) parts.push(`flag ${selector.flag.key}=${selector.flag.variant}`)
  return parts.join(', ') || 'all traffic'
}

/** @param {number | null} value a fraction */
export function formatPercent(value) {
  if (!isNumber(value)) return 'n/a'
  const percent = value * 100
  return `${percent === 0 ? '0' : percent < 1 ? percent.toPrecision(2) : percent.toFixed(1)}%`
}

/** @param {number | null} value milliseconds */
export function formatMs(value) {
  if (!isNumber(value)) return 'n/a'
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toPrecision(3)} ms`
}

/** UTC, to the second: "2026-11-22 10:04:05 UTC". @param {number} ms */
export function formatTime(ms) {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

function decisionWord(decision) {
  return html`<span class="metric-decision metric-${decision}">${decision}</span>`
}

function formatEstimate(metric, cohort) {
  if (cohort === undefined) return 'n/a'
  const value =
    metric.kind === 'error-rate'
      ? formatPercent(cohort.estimate)
      : metric.kind === 'latency'
        ? formatMs(cohort.estimate)
        : formatNumber(cohort.estimate)
  return html`${value} <span class="muted">(n=${cohort.n})</span>`
}

function formatEffect(metric, value, ifNull = 'n/a') {
  if (!isNumber(value)) return ifNull
  const sign = value > 0 ? '+' : value < 0 ? '−' : ''
  const magnitude = Math.abs(value)
  if (metric.effectScale === 'relative') return `${sign}${formatPercent(magnitude)}`
  if (metric.kind === 'error-rate') return `${sign}${(magnitude * 100).toPrecision(2)} pp`
  if (metric.kind === 'latency') return `${sign}${formatMs(magnitude)}`
  return `${sign}${formatNumber(magnitude)}`
}

function formatEvidence(metric) {
  if (isNumber(metric.pValue)) return `p = ${formatNumber(metric.pValue)}`
  if (isNumber(metric.eValue)) return `e = ${formatNumber(metric.eValue)}`
  return 'n/a'
}

function formatNumber(value) {
  if (!isNumber(value)) return 'n/a'
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) {
    return value.toExponential(2)
  }
  return String(Number(value.toPrecision(3)))
}

function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value)
}

/** The entries where the decision changed (and the first): the story without polling noise. */
export function decisionChanges(entries) {
  return entries.filter(
    (entry, index) => index === 0 || entries[index - 1].decision !== entry.decision,
  )
}
