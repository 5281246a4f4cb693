import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../helpers/free-port.ts'
import { runCli } from '../helpers/serve-process.ts'
import { waitFor } from '../helpers/store.ts'

/**
 * `serve` listens on this machine only unless told otherwise, and logs the address it is
 * bound to (issue 9.7): before, it listened on every interface while logging 127.0.0.1.
 */
interface Listening {
  readonly apiPort: number
  readonly otlpPort: number
  readonly grpcPort: number
  readonly logged: Record<string, string>
  stop(): Promise<number | null>
}

async function serve(args: readonly string[]): Promise<Listening> {
  const [apiPort, otlpPort, grpcPort] = [await freePort(), await freePort(), await freePort()]
  const run = runCli(['serve', ...args], {
    RH_API_PORT: String(apiPort),
    RH_OTLP_HTTP_PORT: String(otlpPort),
    RH_OTLP_GRPC_PORT: String(grpcPort),
    RH_CLICKHOUSE_DATA_PATH: mkdtempSync(join(tmpdir(), 'rh-host-')),
  })
  const logged = await waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`serve exited early:\n${run.output()}`)
      const urls: Record<string, string> = {}
      for (const line of run.output().split('\n')) {
        if (!line.startsWith('{')) continue
        const event = JSON.parse(line) as { msg?: string; url?: string }
        if (event.url !== undefined && event.msg !== undefined) urls[event.msg] = event.url
      }
      return Object.keys(urls).some((msg) => msg.startsWith('API listening')) ? urls : undefined
    },
    { timeoutMs: 60_000, what: 'serve to log where it listens' },
  )
  return {
    apiPort,
    otlpPort,
    grpcPort,
    logged,
    stop: () => {
      run.child.kill('SIGTERM')
      return run.exited
    },
  }
}

function loggedUrl(listening: Listening, prefix: string): string | undefined {
  return Object.entries(listening.logged).find(([msg]) => msg.startsWith(prefix))?.[1]
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')))
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** An address of this machine that is not loopback, when it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)?.address

describe('where serve listens', () => {
  it('binds 127.0.0.1 by default and says so', async () => {
    const listening = await serve([])
    try {
      expect(loggedUrl(listening, 'API listening')).toBe(`http://127.0.0.1:${listening.apiPort}`)
      expect(loggedUrl(listening, 'OTLP/HTTP receiver listening')).toBe(
        `http://127.0.0.1:${listening.otlpPort}`,
      )
      expect(loggedUrl(listening, 'OTLP/gRPC receiver listening')).toBe(
        `http://127.0.0.1:${listening.grpcPort}`,
      )
      expect(await canConnect('127.0.0.1', listening.apiPort)).toBe(true)
      expect(await canConnect('127.0.0.1', listening.grpcPort)).toBe(true)
      if (externalAddress !== undefined) {
        expect(await canConnect(externalAddress, listening.apiPort)).toBe(false)
        expect(await canConnect(externalAddress, listening.otlpPort)).toBe(false)
        expect(await canConnect(externalAddress, listening.grpcPort)).toBe(false)
      }
    } finally {
      expect(await listening.stop()).toBe(0)
    }
  })

  it('binds every interface with --host 0.0.0.0 and logs that address', async () => {
    const listening = await serve(['--host', '0.0.0.0'])
    try {
      expect(loggedUrl(listening, 'API listening')).toBe(`http://0.0.0.0:${listening.apiPort}`)
      expect(loggedUrl(listening, 'OTLP/HTTP receiver listening')).toBe(
        `http://0.0.0.0:${listening.otlpPort}`,
      )
      expect(loggedUrl(listening, 'OTLP/gRPC receiver listening')).toBe(
        `http://0.0.0.0:${listening.grpcPort}`,
      )
      if (externalAddress !== undefined) {
        expect(await canConnect(externalAddress, listening.apiPort)).toBe(true)
        expect(await canConnect(externalAddress, listening.otlpPort)).toBe(true)
        expect(await canConnect(externalAddress, listening.grpcPort)).toBe(true)
      }
    } finally {
      expect(await listening.stop()).toBe(0)
    }
  })
})
