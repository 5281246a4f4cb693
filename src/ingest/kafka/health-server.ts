import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { requireScopes, type TokenEntry } from '../../api/auth.ts'
import { toApiError } from '../../api/api-errors.ts'
import { closeConnectionsOnShutdown } from '../../http/close-connections-on-shutdown.ts'
import type { KafkaIngest } from './index.ts'

export interface KafkaHealthServerOptions {
  readonly ingest: Pick<KafkaIngest, 'state' | 'partitions'>
  /** Whether the store answers and its schema is current. */
  readonly isStoreReady: () => Promise<boolean>
  /** Writes the Prometheus text of the worker's metrics (lag, rows, dead letters, batches). */
  readonly servePrometheus: (request: IncomingMessage, response: ServerResponse) => void
  /** Bearer tokens; `/metrics` needs the `read` scope when any is configured. */
  readonly tokens: readonly TokenEntry[]
}

/**
 * The HTTP face of an `ingest-kafka` worker, for orchestrators and Prometheus:
 * - `GET /healthz`: the process is alive (200 while it runs, even while Kafka is away: a
 *   restart would not bring Kafka back).
 * - `GET /readyz`: 200 once the worker is a member of its consumer group and the store is
 *   reachable and migrated; 503 with the reason otherwise, and while shutting down. The
 *   answer lists the assigned partitions with their lag.
 * - `GET /metrics`: Prometheus text: per-partition consumer lag, rows, dead letters,
 *   rejected items, batch write times.
 */
export function createKafkaHealthServer(options: KafkaHealthServerOptions): FastifyInstance {
  const { ingest } = options
  const app = Fastify({ logger: false })
  closeConnectionsOnShutdown(app)
  requireScopes(app, options.tokens, 'read')
  app.setErrorHandler((error, _request, reply) => {
    const known = toApiError(error)
    return reply.code(known.status).send({
      error: { code: known.code, message: known.message, retriable: known.retriable },
    })
  })

  app.get('/healthz', { config: { public: true } }, () => ({ status: 'ok' }))

  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const state = ingest.state()
    const storeReady = await options.isStoreReady().catch(() => false)
    const partitions = ingest.partitions().map((partition) => ({
      topic: partition.topic,
      partition: partition.partition,
      lag: Number(partition.lag),
    }))
    const reason =
      state !== 'consuming'
        ? `the Kafka consumer is ${state}`
        : !storeReady
          ? 'the store is unreachable or not migrated'
          : undefined
    return reply
      .code(reason === undefined ? 200 : 503)
      .send(
        reason === undefined
          ? { status: 'ready', consumer: state, partitions }
          : { status: 'not ready', reason, consumer: state, partitions },
      )
  })

  app.get('/metrics', (request, reply) => {
    reply.hijack()
    options.servePrometheus(request.raw, reply.raw)
  })

  return app
}
