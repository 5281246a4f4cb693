import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply } from 'fastify'

/**
 * The built-in page: static files under `src/api/ui`, read once at start and served from
 * memory. Only the files named here are served, so no request path ever reaches the disk.
 */
const UI_DIRECTORY = new URL('../ui/', import.meta.url)

const ASSETS = {
  'page.js': 'text/javascript; charset=utf-8',
  'page-views.js': 'text/javascript; charset=utf-8',
  'overview-views.js': 'text/javascript; charset=utf-8',
  'overview-charts.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'event-charts.js': 'text/javascript; charset=utf-8',
  'verdict-view.js': 'text/javascript; charset=utf-8',
  'html.js': 'text/javascript; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
} as const

/**
 * Data fetched by the page comes from users (service names, releases, flag keys). It is
 * escaped when rendered; this policy is the second line: no inline script or style, nothing
 * loaded from elsewhere, so a missed escape cannot run code.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function registerPageRoutes(app: FastifyInstance): void {
  const indexHtml = readFileSync(new URL('index.html', UI_DIRECTORY), 'utf8')
  const assets = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(new URL(name, UI_DIRECTORY), 'utf8') },
    ]),
  )
  const sendPage = (_request: unknown, reply: FastifyReply): FastifyReply =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(indexHtml)

  // The files hold no data, so they are public even when tokens are configured; the page
  // asks for a read token when the API calls it makes are refused.
  const options = { schema: { hide: true }, config: { public: true } }
  app.get('/', options, sendPage)
  app.get('/analyses', options, sendPage)
  app.get('/analyses/:id', options, sendPage)
  app.get('/ui/:file', options, (request, reply) => {
    const { file } = request.params as { file: string }
    const asset = assets.get(file)
    if (asset === undefined) return reply.callNotFound()
    return reply
      .header('content-type', asset.type)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(asset.body)
  })
}
