import { randomUUID } from 'node:crypto'
import { RhError, isRhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { isDataRefusal } from './retry.ts'

export interface BatchWriterOptions<Item> {
  /**
   * Writes one batch durably (after its own retries of passing failures); rejects when it
   * could not. A batch whose token was seen before must not be stored twice.
   */
  readonly writeBatch: (items: readonly Item[], deduplicationToken: string) => Promise<void>
  /** Rows an item holds: batches are sized, and the queue bounded, in rows. */
  readonly rowsOf: (item: Item) => number
  readonly maxBatchRows: number
  /** Under light load, a batch is written this long after its first row... */
  readonly flushIntervalMs: number
  /**
   * ...but under load (rows arriving fast enough to fill `minBatchRows` within 5 s) a batch
   * waits to hold that many, at most `maxBatchDelayMs`: large parts cost ClickHouse far less
   * to merge than many small ones. Defaults: 0 and `flushIntervalMs`, i.e. no waiting.
   */
  readonly minBatchRows?: number
  readonly maxBatchDelayMs?: number
  /** Rows waiting or in flight beyond which `write` refuses with RH_INGEST_SATURATED. */
  readonly maxQueuedRows: number
  /**
   * Whether a failed batch was refused for its data (so that splitting it finds the item at
   * fault) rather than for the store's state. Default: `isDataRefusal` (store error codes).
   */
  readonly isDataError?: (error: unknown) => boolean
  readonly logger?: Logger
  /** Told of every written batch, for metrics. */
  readonly onBatchWritten?: (rows: number, writeMs: number) => void
}

export interface BatchWriter<Item> {
  /**
   * Resolves once `item` is durably written, as part of a group-commit batch with the items of
   * concurrent callers; rejects if it could not be, or at once when saturated or closing.
   */
  write(item: Item): Promise<void>
  /** Rows accepted and not yet written. */
  readonly queuedRows: number
  /** Whether `rows` more rows would be refused as saturating the queue right now. */
  isSaturated(rows: number): boolean
  /**
   * Shutdown, phase one: write what is pending now and every later item at once, without
   * waiting for the flush interval, so in-flight requests finish quickly.
   */
  drain(): void
  /** Writes everything accepted so far, refuses new items, and resolves when all is written. */
  close(): Promise<void>
}

interface Pending<Item> {
  readonly item: Item
  readonly rows: number
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/** Rows arriving fast enough to fill `minBatchRows` in this many seconds count as load. */
const BUSY_SECONDS_PER_MIN_BATCH = 5
/** How far back the arrival rate looks: an exponentially decayed count over about 1 s. */
const ARRIVAL_WINDOW_MS = 1_000

/** Seconds a saturated client is asked to wait: about one flush cycle of a full queue. */
const SATURATED_RETRY_AFTER_SECONDS = 1
/** Seconds a client is asked to wait when the store failed a batch for a passing reason. */
const STORE_RETRY_AFTER_SECONDS = 5

/**
 * Group commit: callers' items (one request's rows each) accumulate into one pending batch,
 * written when it reaches `maxBatchRows` or `flushIntervalMs` after its first item. One batch
 * is written at a time, so ClickHouse sees few large inserts; callers wait for their batch, so
 * an acknowledgement means the rows are stored. An item is never split across batches.
 *
 * One caller's bad data fails that caller only: when the store refuses a batch for its data,
 * the batch is split in halves (each with a token derived from the batch's, so a retry stays
 * deduplicated) until the items at fault stand alone; the others are written and acknowledged.
 * Error messages never carry another caller's data: a shared batch's failure is reported by
 * its kind only, and the store's own message only to the one caller it concerns.
 */
export function createBatchWriter<Item>(options: BatchWriterOptions<Item>): BatchWriter<Item> {
  const logger = options.logger ?? silentLogger
  const isDataError = options.isDataError ?? isDataRefusal
  let pending: Pending<Item>[] = []
  let pendingRows = 0
  let inFlightRows = 0
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> | undefined
  let closing = false
  let draining = false
  /** When the pending batch is due. */
  let deadlineMs = 0
  // Rows arrived, decayed with age: about the rows of the last ARRIVAL_WINDOW_MS.
  let recentRows = 0
  let lastArrivalMs = 0
  const minBatchRows = options.minBatchRows ?? 0
  const maxBatchDelayMs = options.maxBatchDelayMs ?? options.flushIntervalMs

  const noteArrival = (rows: number, nowMs: number): void => {
    recentRows = recentRows * Math.exp(-(nowMs - lastArrivalMs) / ARRIVAL_WINDOW_MS) + rows
    lastArrivalMs = nowMs
  }

  /**
   * How long a batch starting now may wait: `flushIntervalMs` while rows trickle in (waiting
   * would not make a large part, only a late answer); under load, the time to collect
   * `minBatchRows`, at most `maxBatchDelayMs`.
   */
  const batchDelayMs = (): number => {
    const rowsPerMs = recentRows / ARRIVAL_WINDOW_MS
    if (rowsPerMs * 1000 < minBatchRows / BUSY_SECONDS_PER_MIN_BATCH) return options.flushIntervalMs
    return Math.min(maxBatchDelayMs, Math.max(options.flushIntervalMs, minBatchRows / rowsPerMs))
  }

  const scheduleFlush = (): void => {
    if (pendingRows >= options.maxBatchRows || draining || closing) {
      startWrite()
    } else if (timer === undefined) {
      timer = setTimeout(
        () => {
          timer = undefined
          startWrite()
        },
        Math.max(0, deadlineMs - performance.now()),
      )
    }
  }

  const startWrite = (): void => {
    if (writing !== undefined || pending.length === 0) return
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    const batch = takeBatch()
    inFlightRows = sumRows(batch)
    writing = writeAll(batch).finally(() => {
      writing = undefined
      inFlightRows = 0
      if (pending.length > 0) scheduleFlush()
    })
  }

  /** The oldest pending items up to `maxBatchRows` rows (at least one item). */
  const takeBatch = (): Pending<Item>[] => {
    let rows = 0
    let count = 0
    while (count < pending.length) {
      const next = pending[count]!.rows
      if (count > 0 && rows + next > options.maxBatchRows) break
      rows += next
      count++
    }
    const batch = pending.slice(0, count)
    pending = pending.slice(count)
    pendingRows -= rows
    // What is left over was due with this batch: write it as soon as this one is written.
    deadlineMs = performance.now()
    return batch
  }

  const writeAll = async (batch: readonly Pending<Item>[]): Promise<void> => {
    const startedMs = performance.now()
    const failed = await writeIsolating(batch, randomUUID())
    const rows = sumRows(batch)
    options.onBatchWritten?.(rows - sumRows(failed), performance.now() - startedMs)
    logger.debug(
      {
        rows,
        requests: batch.length,
        failed: failed.length,
        writeMs: performance.now() - startedMs,
      },
      'batch written',
    )
  }

  /**
   * Writes `batch`; on a data error splits it and writes the halves. Settles every caller and
   * returns those that failed.
   */
  const writeIsolating = async (
    batch: readonly Pending<Item>[],
    token: string,
  ): Promise<readonly Pending<Item>[]> => {
    try {
      await options.writeBatch(
        batch.map((entry) => entry.item),
        token,
      )
      for (const entry of batch) entry.resolve()
      return []
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
        const middle = Math.ceil(batch.length / 2)
        logger.warn(
          { requests: batch.length, rows: sumRows(batch) },
          'the store refused a batch for its data; writing its halves apart to find the request at fault',
        )
        const first = await writeIsolating(batch.slice(0, middle), `${token}:0`)
        const second = await writeIsolating(batch.slice(middle), `${token}:1`)
        return [...first, ...second]
      }
      const failure = toCallerError(error, batch.length === 1)
      logger.error(
        { rows: sumRows(batch), requests: batch.length, err: toMessage(error) },
        'batch write failed',
      )
      for (const entry of batch) entry.reject(failure)
      return batch
    }
  }

  const toCallerError = (error: unknown, alone: boolean): RhError => {
    if (isDataError(error)) {
      // Alone in its batch, the data at fault is the caller's own: say what the store said.
      const detail = alone ? `: ${toMessage(error).slice(0, 500)}` : ''
      return new RhError(
        'RH_INGEST_REFUSED_BY_STORE',
        `the store refused the rows of this request${detail}`,
        { cause: error },
      )
    }
    return new RhError(
      'RH_STORE_WRITE_FAILED',
      `the store could not write this request's rows (${isRhError(error) ? error.code : 'a passing store failure'}); retry later`,
      { cause: error, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
    )
  }

  const queuedRows = (): number => pendingRows + inFlightRows

  return {
    get queuedRows() {
      return queuedRows()
    },

    isSaturated(rows) {
      return queuedRows() + rows > options.maxQueuedRows
    },

    write(item) {
      if (closing) {
        return Promise.reject(
          new RhError(
            'RH_INGEST_SHUTTING_DOWN',
            'the server is shutting down; retry on another instance',
            { retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS },
          ),
        )
      }
      const rows = options.rowsOf(item)
      if (rows === 0) return Promise.resolve()
      if (rows > options.maxQueuedRows) {
        // Retrying cannot help a request larger than the whole queue: say so instead of 429.
        return Promise.reject(
          new RhError(
            'RH_INGEST_TOO_LARGE',
            `a request of ${rows} rows exceeds the writer queue of ${options.maxQueuedRows} rows (writer.maxQueuedRows); send smaller batches`,
          ),
        )
      }
      if (queuedRows() + rows > options.maxQueuedRows) {
        return Promise.reject(
          new RhError(
            'RH_INGEST_SATURATED',
            `the store writer is saturated (${queuedRows()} rows queued, limit ${options.maxQueuedRows}); retry later`,
            { retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS },
          ),
        )
      }
      return new Promise<void>((resolve, reject) => {
        const nowMs = performance.now()
        noteArrival(rows, nowMs)
        if (pending.length === 0) deadlineMs = nowMs + batchDelayMs()
        pending.push({ item, rows, resolve, reject })
        pendingRows += rows
        scheduleFlush()
      })
    },

    drain() {
      draining = true
      startWrite()
    },

    async close() {
      closing = true
      while (writing !== undefined || pending.length > 0) {
        startWrite()
        await writing
      }
    },
  }
}

function sumRows(entries: readonly { readonly rows: number }[]): number {
  let rows = 0
  for (const entry of entries) rows += entry.rows
  return rows
}
