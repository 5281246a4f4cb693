/**
 * `release-health ingest-kafka` as a real child process, for the tests that kill workers with
 * SIGKILL. Its pino log lines are parsed to follow its progress.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { waitFor } from './store.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'release-health.js')

export interface WorkerProcessOptions {
  /** `RH_*` settings of the worker, e.g. RH_KAFKA_TOPICS, RH_CLICKHOUSE_DATA_PATH. */
  readonly env: Readonly<Record<string, string>>
}

export interface WorkerProcess {
  /** Batches this process has logged as written. */
  readonly batchesWritten: number
  /** Of those, batches replayed from the ledger (cut by an earlier worker). */
  readonly batchesReplayed: number
  /**
   * Resolves once the process has logged `count` written batches, or once `orUntil` (asked
   * every half second) is true: say, when nothing is left for it to write.
   */
  waitForBatches(count: number, options?: { orUntil?: () => Promise<boolean> }): Promise<void>
  /**
   * Resolves once the process has joined the group and consumes ("kafka ingestion started").
   * Until then a SIGTERM finds no handler and kills it, which is not the graceful shutdown.
   */
  waitUntilConsuming(): Promise<void>
  /** The base URL of its /healthz, /readyz and /metrics, once it listens. */
  healthUrl(): Promise<string>
  /** SIGKILL: no shutdown code runs, nothing is committed or left. Resolves on exit. */
  kill(): Promise<void>
  /**
   * SIGTERM, the graceful shutdown, once the process consumes (a signal that comes earlier
   * finds no handler yet and kills it). Resolves with the exit code.
   */
  terminate(): Promise<number | null>
  /** What the process wrote to stderr (the last 4 KB). */
  readonly stderr: string
  /** stderr and the last log lines, for failure messages. */
  describe(): string
}

export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'ingest-kafka', '--log-level', 'info'],
    // Port 0: workers of parallel tests must not compete for the health server's port.
    {
      env: { ...process.env, RH_KAFKA_HTTP_PORT: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let batchesWritten = 0
  let batchesReplayed = 0
  let consuming = false
  let healthUrl: string | undefined
  const lines: string[] = []
  let stderr = ''
  let partial = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const text = partial + chunk
    const complete = text.split('\n')
    partial = complete.pop() ?? ''
    for (const line of complete) {
      lines.push(line)
      if (lines.length > 50) lines.shift()
      if (line.includes('"msg":"kafka ingestion started"')) consuming = true
      if (line.includes('"msg":"ingest-kafka health and metrics listening')) {
        healthUrl = (JSON.parse(line) as { url: string }).url
      }
      if (!line.includes('"msg":"kafka batch written"')) continue
      batchesWritten++
      if (line.includes('"replay":true')) batchesReplayed++
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const describe = (): string => `stderr:\n${stderr}\nlast log lines:\n${lines.join('\n')}`

  return {
    get batchesWritten() {
      return batchesWritten
    },
    get batchesReplayed() {
      return batchesReplayed
    },
    get stderr() {
      return stderr
    },
    async waitForBatches(count, options) {
      let askedAt = 0
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`the worker exited early\n${describe()}`)
          if (batchesWritten >= count) return true
          if (options?.orUntil === undefined || Date.now() - askedAt < 500) return undefined
          askedAt = Date.now()
          return (await options.orUntil()) ? true : undefined
        },
        { what: `${count} batches written by the worker`, timeoutMs: 120_000, intervalMs: 20 },
      )
    },
    async waitUntilConsuming() {
      await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`the worker exited early\n${describe()}`)
          return consuming ? true : undefined
        },
        { what: 'the worker consuming', timeoutMs: 120_000, intervalMs: 20 },
      )
    },
    async healthUrl() {
      return waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`the worker exited early\n${describe()}`)
          return healthUrl
        },
        { what: 'the worker health server', timeoutMs: 120_000, intervalMs: 20 },
      )
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
    async terminate() {
      await this.waitUntilConsuming()
      child.kill('SIGTERM')
      return exited
    },
    describe,
  }
}
