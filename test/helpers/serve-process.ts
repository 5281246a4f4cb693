import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitFor } from './store.ts'
import { freePort } from './free-port.ts'

const BIN = fileURLToPath(new URL('../../bin/release-health.js', import.meta.url))

export interface ServeProcess {
  readonly child: ChildProcess
  readonly apiUrl: string
  readonly otlpUrl: string
  /** host:port of the OTLP/gRPC receiver. */
  readonly otlpGrpcAddress: string
  /** Everything the process printed so far. */
  output(): string
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>
}

/** Runs `release-health <args>` as a real process with Node 24 (the PATH of npm scripts). */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return { child, output: () => output, exited }
}

/** Starts `serve` on free loopback ports and waits until /readyz answers 200. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const [apiPort, otlpPort, grpcPort] = [await freePort(), await freePort(), await freePort()]
  const run = runCli(['serve'], {
    RH_API_HOST: '127.0.0.1',
    RH_API_PORT: String(apiPort),
    RH_OTLP_HTTP_HOST: '127.0.0.1',
    RH_OTLP_HTTP_PORT: String(otlpPort),
    RH_OTLP_GRPC_HOST: '127.0.0.1',
    RH_OTLP_GRPC_PORT: String(grpcPort),
    ...env,
  })
  const apiUrl = `http://127.0.0.1:${apiPort}`
  await waitFor(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`serve exited early:\n${run.output()}`)
      const response = await fetch(`${apiUrl}/readyz`).catch(() => undefined)
      return response?.status === 200 ? true : undefined
    },
    { timeoutMs: 60_000, what: 'serve to become ready' },
  )
  return {
    ...run,
    apiUrl,
    otlpUrl: `http://127.0.0.1:${otlpPort}`,
    otlpGrpcAddress: `127.0.0.1:${grpcPort}`,
  }
}
