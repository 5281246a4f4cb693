// The release overview at `/` as markup, from GET /api/v1/overview and the live verdicts of
// the analyses and trains it names. No DOM here: page.js fetches and inserts. Every value
// from the API passes through `html`, which escapes it.
import { burnChart, calendarChart, shareBar } from './overview-charts.js'
import { html } from './html.js'
import { analysesTable } from './page-views.js'
import { decisionBadge, describeSelector, formatPercent, formatTime } from './verdict-view.js'

/**
 * @param {any} overview GET /api/v1/overview
 * @param {any[]} analyses GET /api/v1/analyses
 * @param {Map<string, any>} verdicts live verdicts (or Errors) by analysis or train id
 */
export function renderOverview(overview, analyses, verdicts) {
  const fromMs = Date.parse(overview.from)
  const toMs = Date.parse(overview.to)
  const hours = Math.round((toMs - fromMs) / 3_600_000)
  const recentMinutes = Math.round((toMs - Date.parse(overview.recentFrom)) / 60_000)
  return html`<h1>Releases in flight</h1>
    <p class="muted">
      Every service's releases and flag variants over the last ${hours} h; traffic shares, error
      rates and budget burn over the last ${recentMinutes} minutes.
    </p>
    ${
      overview.services.length === 0
        ? html`<p class="empty">
            No traffic in this window yet. Send OpenTelemetry spans to the OTLP receiver, or run
            <code>npx release-health simulate</code>.
          </p>`
        : html`<div class="overview-charts">
              <section aria-labelledby="calendar-heading">
                <h2 id="calendar-heading">Release calendar</h2>
                ${calendarChart({
                  id: 'release-calendar',
                  title: 'Releases (◆), flag variants (▲) and decisions (●), by service',
                  fromMs,
                  toMs,
                  events: toCalendarEvents(overview.timeline),
                })}
              </section>
              <section aria-labelledby="burn-heading">
                <h2 id="burn-heading">Error-budget burn</h2>
                ${burnChart({
                  id: 'budget-burn',
                  title: 'Burn rate of each release and flag variant in flight (1× = on budget)',
                  rows: burnRows(overview.services),
                })}
              </section>
            </div>
            ${calendarList(overview.timeline)}
            <section aria-labelledby="services-heading">
              <h2 id="services-heading">Services</h2>
              <div class="service-cards">
                ${overview.services.map((service, index) => serviceCard(service, index, verdicts))}
              </div>
            </section>`
    }
    <section aria-labelledby="analyses-heading">
      <h2 id="analyses-heading">Analyses</h2>
      ${analysesTable(analyses, verdicts)}
    </section>`
}

function toCalendarEvents(timeline) {
  return timeline.map((event) => ({
    tMs: Date.parse(event.time),
    lane: event.kind === 'decision' ? event.service.split(', ')[0] : event.service,
    kind: event.kind,
    decision: event.decision,
    label:
      event.kind === 'decision'
        ? `${event.subject}: ${event.decision}${event.reason ? ` (${event.reason})` : ''}`
        : `${event.service}: ${event.kind === 'release' ? 'release' : 'flag variant'} ${event.name} first served traffic`,
  }))
}

/** The calendar as text too: the newest changes first, readable without hovering. */
function calendarList(timeline) {
  const newest = [...timeline].reverse().slice(0, 30)
  if (newest.length === 0) return html`<p class="muted">No changes in this window.</p>`
  return html`<ol class="calendar">
    ${newest.map(
      (event) =>
        html`<li data-kind="${event.kind}">
          <time datetime="${event.time}">${formatTime(Date.parse(event.time))}</time>
          ${
            event.kind === 'decision'
              ? html`<span>${event.subject}</span> ${decisionBadge(event.decision)}
                  <span class="muted">${event.reason}</span>`
              : html`<span
                  ><strong>${event.service}</strong>
                  ${event.kind === 'release' ? 'release' : 'flag variant'} ${event.name} first
                  served traffic</span
                >`
          }
        </li>`,
    )}
  </ol>`
}

function burnRows(services) {
  return services.flatMap((service) => [
    ...service.releases
      .filter((cohort) => cohort.inFlight && cohort.burnRate !== null)
      .map((cohort) => ({
        label: `${service.service} ${cohort.name}`,
        burnRate: cohort.burnRate,
        detail: `error rate ${formatPercent(cohort.errorRate)} against an SLO of ${formatPercent(service.slo)}`,
      })),
    ...service.flags.flatMap((flag) =>
      flag.variants
        .filter((cohort) => cohort.inFlight && cohort.burnRate !== null)
        .map((cohort) => ({
          label: `${service.service} ${flag.key}=${cohort.name}`,
          burnRate: cohort.burnRate,
          detail: `error rate ${formatPercent(cohort.errorRate)} against an SLO of ${formatPercent(service.slo)}`,
        })),
    ),
  ])
}

function serviceCard(service, index, verdicts) {
  const inFlight = (cohorts) => cohorts.filter((cohort) => cohort.inFlight)
  return html`<article class="service-card" data-service="${service.service}">
    <h3>
      ${service.service} <span class="muted">${service.environment || 'no environment'}</span>
    </h3>
    ${shareBar({
      id: `share-${index}`,
      title: `Traffic share by release`,
      parts: inFlight(service.releases).map((cohort) => ({
        name: cohort.name,
        share: cohort.share ?? 0,
        detail: `${cohort.recentRequests} recent requests, error rate ${formatPercent(cohort.errorRate)}`,
      })),
    })}
    <ul class="cohorts">
      ${service.releases.map((cohort) => cohortItem('release', cohort))}
      ${service.flags.flatMap((flag) =>
        flag.variants.map((cohort) => cohortItem(`flag ${flag.key}`, cohort)),
      )}
    </ul>
    ${
      (service.analyses.length > 0 || service.trains.length > 0) &&
      html`<ul class="judged">
        ${service.analyses.map(
          (analysis) =>
            html`<li>
              <a href="/analyses/${encodeURIComponent(analysis.id)}"
                >${describeSelector(analysis.canary)} vs ${describeSelector(analysis.baseline)}</a
              >
              ${verdictBadge(verdicts.get(analysis.id))}
            </li>`,
        )}
        ${service.trains.map(
          (train) =>
            html`<li>
              train <strong>${train.name}</strong> ${verdictBadge(verdicts.get(train.id))}
            </li>`,
        )}
      </ul>`
    }
  </article>`
}

function cohortItem(kind, cohort) {
  return html`<li class="${cohort.inFlight ? 'in-flight' : 'idle'}">
    <span class="cohort-name">${kind} <strong>${cohort.name}</strong></span>
    <span
      >${cohort.share === null ? 'no recent traffic' : `${formatPercent(cohort.share)} of traffic`}</span
    >
    <span>errors ${formatPercent(cohort.errorRate)}</span>
    <span>burn ${cohort.burnRate === null ? 'n/a' : `${cohort.burnRate.toFixed(1)}×`}</span>
  </li>`
}

function verdictBadge(verdict) {
  if (verdict === undefined) return html`<span class="muted">…</span>`
  if (verdict instanceof Error) return html`<span class="muted">${verdict.message}</span>`
  return decisionBadge(verdict.decision)
}
