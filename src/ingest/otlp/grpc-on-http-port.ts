import type { Server } from 'node:http'
import { createServer as createHttp2Server } from 'node:http2'
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { GRPC_CODES } from './encode-response.ts'
import { toGrpcMessage } from './grpc-status.ts'

/** Every HTTP/2 connection opens with this preface; no HTTP/1 request starts with "PRI ". */
const HTTP2_PREFACE_START = Buffer.from('PRI ')

/**
 * Answers gRPC clients that reach an HTTP/1 port (an OTLP/gRPC exporter pointed at :4318)
 * with a gRPC status they can show, `UNIMPLEMENTED` and `message`, instead of the framing
 * error an HTTP/1 parser gives them (the Collector logs `http2: frame too large` and nothing
 * more).
 *
 * The first bytes of each connection are read before the HTTP/1 server sees them: a
 * connection that starts with the HTTP/2 preface goes to a small HTTP/2 server that answers
 * every stream with the status and closes; any other goes to `server` as it was, its first
 * bytes put back. The HTTP/2 side gets the socket through a JavaScript stream, which sees the
 * bytes put back (a native HTTP/2 session would read past them).
 */
export function answerGrpcOnHttpPort(server: Server, message: string): { close(): void } {
  /** Connections whose first bytes have not come yet: not the HTTP server's to close. */
  const waiting = new Set<Socket>()
  const answer = createHttp2Server()
  answer.on('stream', (stream) => {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': String(GRPC_CODES.UNIMPLEMENTED),
        'grpc-message': toGrpcMessage(message),
      },
      { endStream: true },
    )
    stream.session?.close()
  })
  answer.on('sessionError', () => undefined)
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  server.on('connection', (socket: Socket) => {
    waiting.add(socket)
    socket.once('close', () => waiting.delete(socket))
    socket.once('data', (chunk: Buffer) => {
      waiting.delete(socket)
      socket.pause()
      if (startsWith(chunk, HTTP2_PREFACE_START)) {
        answer.emit('connection', toStream(socket, chunk))
      } else {
        socket.unshift(chunk)
        for (const listener of listeners) listener.call(server, socket)
      }
      socket.resume()
    })
  })
  return {
    close() {
      for (const socket of waiting) socket.destroy()
      answer.close()
    },
  }
}

function startsWith(chunk: Buffer, prefix: Buffer): boolean {
  return chunk.length >= prefix.length && chunk.subarray(0, prefix.length).equals(prefix)
}

/** The socket as a plain stream that starts with `first`, the bytes already read. */
function toStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume()
    },
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done)
    },
    final(done) {
      socket.end()
      done()
    },
    destroy(error, done) {
      socket.destroy()
      done(error)
    },
  })
  stream.push(first)
  socket.on('data', (data: Buffer) => {
    if (!stream.push(data)) socket.pause()
  })
  socket.on('end', () => stream.push(null))
  socket.on('error', (error) => stream.destroy(error))
  socket.on('close', () => stream.destroy())
  return stream
}
