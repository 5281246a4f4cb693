import type { FastifyInstance } from 'fastify'

/**
 * Makes `close()` finish promptly. Fastify closes connections that are idle when closing
 * starts, but a keep-alive connection busy with a request then (an OTLP export waiting for
 * its batch) would linger until the keep-alive timeout after answering. From the moment
 * closing starts, every response asks the client to close its connection.
 */
export function closeConnectionsOnShutdown(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close')
    done(null, payload)
  })
}
