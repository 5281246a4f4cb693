import type { FastifyInstance } from 'fastify'

/**
 * The address a listening server is actually bound to, as a URL: `http://0.0.0.0:8080` when
 * it listens on every interface. (Fastify's `listen` answers a loopback URL to connect to,
 * which is not where it listens.)
 */
export function toBoundUrl(server: FastifyInstance): string {
  const address = server.server.address()
  if (address === null) return 'not listening'
  if (typeof address === 'string') return address
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
