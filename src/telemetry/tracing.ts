import {
  context,
  propagation,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { InsertBytesOptions, Store } from '../store/store-client.ts'
import type { Instruments } from './instruments.ts'

/** A tracer that records nothing, for when no OpenTelemetry SDK is configured. */
export const noopTracer: Tracer = new ProxyTracerProvider().getTracer('release-health')

/** Runs `work` in a span that ends with it, marked failed when it throws. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span)
    } catch (error) {
      failed(span, error)
      throw error
    } finally {
      span.end()
    }
  })
}

interface RequestTrace {
  span: Span
  context: Context
  startedMs: number
}

const traces = new WeakMap<FastifyRequest, RequestTrace>()

/**
 * A server span per request of a Fastify server (`GET /api/v1/analyses/:id`), continuing the
 * caller's trace when it sends `traceparent`, and the request's duration by route. The span
 * is made current for the handler, so the store queries it makes are its children.
 */
export function traceRequests(
  app: FastifyInstance,
  options: { tracer: Tracer; instruments: Instruments; server: string },
): void {
  const { tracer, instruments, server } = options
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const parent = propagation.extract(context.active(), request.headers)
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0] ?? '',
          'rh.server': server,
        },
      },
      parent,
    )
    const active = trace.setSpan(parent, span)
    traces.set(request, { span, context: active, startedMs: performance.now() })
    context.with(active, done)
  })
  // The body is read from the socket between onRequest and the handler, out of the request's
  // async context: entering it again here is what makes the handler's work the span's children.
  app.addHook('preHandler', (request, _reply, done) => {
    const current = traces.get(request)
    if (current === undefined) return done()
    context.with(current.context, done)
  })
  app.addHook('onError', (request, _reply, error, done) => {
    const current = traces.get(request)
    if (current !== undefined) current.span.recordException(error)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const current = traces.get(request)
    if (current !== undefined) {
      traces.delete(request)
      const status = reply.statusCode
      current.span.setAttribute('http.response.status_code', status)
      if (status >= 500) current.span.setStatus({ code: SpanStatusCode.ERROR })
      current.span.end()
      instruments.httpServed({
        server,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status,
        durationMs: performance.now() - current.startedMs,
      })
    }
    done()
  })
}

/** Longest statement text kept on a span: enough to recognise a query, bounded in size. */
const MAX_QUERY_TEXT = 2_000

/**
 * The store with a client span around every query, insert and command it runs, for every
 * stage that uses it (verdicts, ingest, Kafka workers, the SQL endpoint). Statements carry
 * only bound parameters, so their text holds no request values and can be recorded.
 */
export function traceStore(store: Store, tracer: Tracer): Store {
  if (tracer === noopTracer) return store
  const client = store.client
  const wrap =
    <P extends { query?: string; table?: string }, R>(
      operation: string,
      call: (params: P) => Promise<R>,
    ) =>
    (params: P): Promise<R> => {
      const name = operation === 'insert' ? 'INSERT' : firstKeyword(params.query)
      const target = params.table ?? store.database
      return inSpan(
        tracer,
        `${name} ${target}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'clickhouse',
            'db.namespace': store.database,
            'db.operation.name': name,
            ...(params.table === undefined ? {} : { 'db.collection.name': params.table }),
            ...(params.query === undefined
              ? {}
              : { 'db.query.text': params.query.slice(0, MAX_QUERY_TEXT) }),
          },
        },
        () => call(params),
      )
    }
  const traced = Object.create(client) as typeof client
  Object.assign(traced, {
    query: wrap('query', client.query.bind(client)),
    insert: wrap('insert', client.insert.bind(client)),
    command: wrap('command', client.command.bind(client)),
    exec: wrap('exec', client.exec.bind(client)),
  })
  const insertBytes = wrap('insert', (params: InsertBytesOptions) => store.insertBytes(params))
  return { ...store, client: traced, insertBytes, close: () => store.close() }
}

function firstKeyword(query: string | undefined): string {
  return /^\s*([A-Za-z]+)/.exec(query ?? '')?.[1]?.toUpperCase() ?? 'QUERY'
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
}
