import { randomUUID } from 'node:crypto'
import { RhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'

export interface BatchWriterOptions<Row> {
  /** Writes one batch durably; rejects when it could not (after its own retries). */
  readonly writeBatch: (rows: readonly Row[], deduplicationToken: string) => Promise<void>
  readonly maxBatchRows: number
  readonly flushIntervalMs: number
  /** Rows waiting or in flight beyond which `write` refuses with RH_INGEST_SATURATED. */
  readonly maxQueuedRows: number
  readonly logger?: Logger
  /** Told of every written batch, for metrics. */
  readonly onBatchWritten?: (rows: number, writeMs: number) => void
}

export interface BatchWriter<Row> {
  /**
   * Resolves once `rows` are durably written, as part of a group-commit batch with the rows of
   * concurrent callers; rejects if that batch failed, or at once when saturated or closing.
   */
  write(rows: readonly Row[]): Promise<void>
  /** Rows accepted and not yet written. */
  readonly queuedRows: number
  /**
   * Shutdown, phase one: write what is pending now and every later row at once, without
   * waiting for the flush interval, so in-flight requests finish quickly.
   */
  drain(): void
  /** Writes everything accepted so far, refuses new rows, and resolves when all is written. */
  close(): Promise<void>
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

interface PendingWaiter extends Waiter {
  readonly rows: number
}

/** Seconds a saturated client is asked to wait: about one flush cycle of a full queue. */
const SATURATED_RETRY_AFTER_SECONDS = 1

/**
 * Group commit: callers' rows accumulate into one pending batch, written when it reaches
 * `maxBatchRows` or `flushIntervalMs` after its first row. One batch is written at a time, so
 * ClickHouse sees few large inserts; callers wait for their batch, so an acknowledgement means
 * the rows are stored.
 */
export function createBatchWriter<Row>(options: BatchWriterOptions<Row>): BatchWriter<Row> {
  const logger = options.logger ?? silentLogger
  const pendingRows: Row[] = []
  let pendingWaiters: PendingWaiter[] = []
  let inFlightRows = 0
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> | undefined
  let closing = false
  let draining = false

  const scheduleFlush = (): void => {
    if (pendingRows.length >= options.maxBatchRows || draining) {
      startWrite()
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined
        startWrite()
      }, options.flushIntervalMs)
    }
  }

  const startWrite = (): void => {
    if (writing !== undefined || pendingRows.length === 0) return
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    const rows = pendingRows.splice(0, options.maxBatchRows)
    const { covered, straddling } = takeWaitersOfBatch()
    inFlightRows = rows.length
    writing = writeOne(rows, covered, straddling).finally(() => {
      writing = undefined
      inFlightRows = 0
      if (pendingRows.length > 0) {
        if (pendingRows.length >= options.maxBatchRows || closing || draining) startWrite()
        else scheduleFlush()
      }
    })
  }

  /**
   * Splits the waiters between the batch just taken and the rows still pending. A caller whose
   * rows straddle both stays pending (it is acknowledged with its last row) but is also failed
   * if this batch fails, so a half-written request is never acknowledged.
   */
  const takeWaitersOfBatch = (): { covered: Waiter[]; straddling: Waiter[] } => {
    const covered: Waiter[] = []
    const kept: PendingWaiter[] = []
    let straddling: Waiter[] = []
    let remaining = pendingRows.length
    for (let index = pendingWaiters.length - 1; index >= 0; index--) {
      const waiter = pendingWaiters[index] as PendingWaiter
      if (remaining <= 0) covered.unshift(waiter)
      else {
        kept.unshift(waiter)
        if (remaining < waiter.rows) straddling = [waiter]
      }
      remaining -= waiter.rows
    }
    pendingWaiters = kept
    return { covered, straddling }
  }

  const writeOne = async (rows: Row[], waiters: Waiter[], straddling: Waiter[]): Promise<void> => {
    const token = randomUUID()
    const startedMs = performance.now()
    try {
      await options.writeBatch(rows, token)
      options.onBatchWritten?.(rows.length, performance.now() - startedMs)
      logger.debug(
        { rows: rows.length, requests: waiters.length, writeMs: performance.now() - startedMs },
        'batch written',
      )
      for (const waiter of waiters) waiter.resolve()
    } catch (error) {
      logger.error({ rows: rows.length, err: toMessage(error) }, 'batch write failed')
      for (const waiter of [...waiters, ...straddling]) waiter.reject(error)
    }
  }

  return {
    get queuedRows() {
      return pendingRows.length + inFlightRows
    },

    write(rows) {
      if (closing) {
        return Promise.reject(
          new RhError(
            'RH_INGEST_SHUTTING_DOWN',
            'the server is shutting down; retry on another instance',
            {
              retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS,
            },
          ),
        )
      }
      if (rows.length === 0) return Promise.resolve()
      if (rows.length > options.maxQueuedRows) {
        // Retrying cannot help a request larger than the whole queue: say so instead of 429.
        return Promise.reject(
          new RhError(
            'RH_INGEST_TOO_LARGE',
            `a request of ${rows.length} spans exceeds the writer queue of ${options.maxQueuedRows} rows (writer.maxQueuedRows); send smaller batches`,
          ),
        )
      }
      if (pendingRows.length + inFlightRows + rows.length > options.maxQueuedRows) {
        return Promise.reject(
          new RhError(
            'RH_INGEST_SATURATED',
            `the store writer is saturated (${pendingRows.length + inFlightRows} rows queued, limit ${options.maxQueuedRows}); retry later`,
            { retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS },
          ),
        )
      }
      return new Promise<void>((resolve, reject) => {
        for (const row of rows) pendingRows.push(row)
        pendingWaiters.push({ resolve, reject, rows: rows.length })
        scheduleFlush()
      })
    },

    drain() {
      draining = true
      startWrite()
    },

    async close() {
      closing = true
      while (writing !== undefined || pendingRows.length > 0) {
        startWrite()
        await writing
      }
    },
  }
}
