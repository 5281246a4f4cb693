// The built-in page: fetches from the API and shows the release overview at `/`, the list of
// analyses at `/analyses` or one analysis at `/analyses/{id}`, refreshing every half minute.
// Rendering is in page-views.js and overview-views.js.
/* global document, fetch, FormData, location, sessionStorage, setTimeout, URLSearchParams */
import { renderAnalysisList, renderAnalysisPage, renderProblem } from './page-views.js'
import { renderOverview } from './overview-views.js'

const REFRESH_MS = 30_000
/** The list shows this many of the newest analyses, each with its live verdict. */
const LIST_LIMIT = 50
const TOKEN_KEY = 'release-health-token'

const root = document.querySelector('#app')

/** An API error with its stable code (RH_...). */
class ApiError extends Error {
  constructor(code, message) {
    super(message)
    this.code = code
  }
}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY)
  const response = await fetch(path, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) {
    throw new ApiError(body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? '')
  }
  return body
}

async function listView() {
  const { analyses } = await api(`/api/v1/analyses?${new URLSearchParams({ limit: LIST_LIMIT })}`)
  const verdicts = new Map(
    await Promise.all(
      analyses.map(async (analysis) => [
        analysis.id,
        await api(`/api/v1/analyses/${encodeURIComponent(analysis.id)}/verdict`).catch(
          (error) => error,
        ),
      ]),
    ),
  )
  document.title = 'Analyses · release-health'
  return renderAnalysisList(analyses, verdicts)
}

/** Live verdicts by id: an analysis' or a train's verdict route, an Error when it failed. */
async function liveVerdicts(paths) {
  return new Map(
    await Promise.all(
      [...paths].map(async ([id, path]) => [id, await api(path).catch((error) => error)]),
    ),
  )
}

async function overviewView() {
  const [overview, { analyses }] = await Promise.all([
    api('/api/v1/overview'),
    api(`/api/v1/analyses?${new URLSearchParams({ limit: LIST_LIMIT })}`),
  ])
  const paths = new Map(
    analyses.map((analysis) => [
      analysis.id,
      `/api/v1/analyses/${encodeURIComponent(analysis.id)}/verdict`,
    ]),
  )
  for (const service of overview.services) {
    for (const analysis of service.analyses)
      paths.set(analysis.id, `/api/v1/analyses/${encodeURIComponent(analysis.id)}/verdict`)
    for (const train of service.trains)
      paths.set(train.id, `/api/v1/trains/${encodeURIComponent(train.id)}/verdict`)
  }
  const verdicts = await liveVerdicts([...paths].slice(0, 2 * LIST_LIMIT))
  document.title = 'Releases in flight · release-health'
  return renderOverview(overview, analyses, verdicts)
}

async function analysisView(id) {
  const path = `/api/v1/analyses/${encodeURIComponent(id)}`
  const [analysis, verdict, history, series] = await Promise.all([
    api(path),
    api(`${path}/verdict`),
    api(`${path}/verdicts?limit=1000`),
    // A server without a series source answers 404 here; the page still shows the rest.
    api(`${path}/series`).catch((error) =>
      error.code === 'RH_API_NOT_FOUND' ? undefined : Promise.reject(error),
    ),
  ])
  document.title = `${analysis.service}: ${verdict.decision} · release-health`
  return renderAnalysisPage({ analysis, verdict, history, series })
}

async function refresh() {
  const match = /^\/analyses\/([^/]+)$/.exec(location.pathname)
  try {
    const view =
      match !== null
        ? await analysisView(decodeURIComponent(match[1]))
        : location.pathname === '/analyses'
          ? await listView()
          : await overviewView()
    root.innerHTML = view.markup
    document.body.dataset.state = 'ready'
  } catch (error) {
    root.innerHTML = renderProblem(error).markup
    document.body.dataset.state = 'problem'
    document.querySelector('#token-form')?.addEventListener('submit', (event) => {
      event.preventDefault()
      sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get('token'))
      void refresh()
    })
  }
}

async function refreshForever() {
  await refresh()
  setTimeout(() => void refreshForever(), REFRESH_MS)
}

void refreshForever()
