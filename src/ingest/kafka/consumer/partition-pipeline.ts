import { toMessage } from '../../../errors.ts'
import type { Logger } from '../../../logger.ts'
import { offsetIn, type ConsumedRun } from '../consumed-message.ts'
import type { KafkaIngestMetrics } from '../ingest-metrics.ts'
import type { BatchLedger } from '../ledger/batch-ledger.ts'
import { planNextBatch, type BatchPlan, type LedgerEntry } from '../ledger/plan-next-batch.ts'
import type { WriteBatch } from '../writer/write-batch.ts'
import type { FlowControl } from './flow-control.ts'
import { createPendingRuns, type PendingBatch } from './pending-runs.ts'

/** Delays before retrying a failed batch write or ledger read; the last one repeats. */
export const BATCH_RETRY_DELAYS_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000] as const

export interface FetchedMessages {
  /** The decoded messages of one fetch, in offset order, as runs (`toConsumedRuns`). */
  readonly runs: readonly ConsumedRun[]
  /** The last offset the fetch covered, offsets without a delivered message included. */
  readonly lastOffset: bigint
}

export interface PartitionPipelineOptions {
  readonly groupId: string
  readonly topic: string
  readonly partition: number
  readonly ledger: BatchLedger
  readonly writeBatch: WriteBatch
  /** Commits `offset`, the next offset to consume, for this partition. */
  readonly commit: (offset: bigint) => Promise<void>
  readonly flow: FlowControl
  readonly metrics: KafkaIngestMetrics
  readonly logger: Logger
  readonly maxBatchRows: number
  readonly maxBatchWaitMs: number
  readonly retryDelaysMs?: readonly number[]
  /** Called for each batch written (or found written): its rows and how long that took. */
  readonly onBatchWritten?: (rows: number, writeMs: number) => void
}

export interface PartitionPipeline {
  /** Buffers a fetch and writes the batches that are ready; resolves once buffered. */
  append(fetched: FetchedMessages): Promise<void>
  /**
   * Stops cutting batches and drops the buffer. Resolves once the batch being written has
   * finished or failed; on `shutdown` its offsets are then committed, on `rebalance` they are
   * not (the partition may have moved to another worker, which replays from the ledger).
   */
  retire(reason: 'rebalance' | 'shutdown'): Promise<void>
}

/**
 * One assigned partition, from fetched messages to committed offsets, one batch at a time:
 *
 * 1. Plan the next batch (`planNextBatch`): replay the ledger entry that starts at the first
 *    buffered message, or cut a fresh batch of up to `maxBatchRows` rows.
 * 2. Claim a fresh batch in the ledger before writing anything. If another worker recorded a
 *    batch starting at the same message first, adopt that one instead.
 * 3. Write the rows and dead letters with the batch's token, then mark the entry written.
 * 4. Commit the offset after the batch, only now that its rows are stored.
 *
 * Why a ledger: a token made of the offset range alone is not enough. A worker taking over a
 * partition cuts batches where its own fetches and timers fall, so a batch the dead worker
 * wrote but did not commit would come back with other boundaries, another token, and be
 * stored twice. The ledger makes the boundaries durable before any row is written.
 *
 * Why this is exactly-once: every write of the messages starting at a given offset uses the
 * range and token of the one ledger entry that starts there, and a worker that takes over a
 * partition starts at the committed offset, which is always an entry boundary, and replays the
 * entries it finds from there before cutting new ones. So however a worker dies (before the
 * claim, between claim and write, during the write, before the commit), whoever comes next
 * writes the same rows under the same token, and ClickHouse keeps one copy (the deduplication
 * window is sized in migration 2 to outlast any replay). Entries already marked written are
 * only committed. A failed write is retried with the same token until it succeeds; nothing is
 * committed meanwhile, and fetching pauses once the buffer is full (`FlowControl`).
 *
 * The chain of boundaries starts at a committed offset. Before a group's first commit, two
 * workers that start one partition at different offsets (the log start moved by retention in
 * between) may cut it differently; `planNextBatch` ignores an entry it cannot start at.
 */
export function createPartitionPipeline(options: PartitionPipelineOptions): PartitionPipeline {
  const { groupId, topic, partition, ledger, flow, metrics, logger } = options
  const retryDelaysMs = options.retryDelaysMs ?? BATCH_RETRY_DELAYS_MS
  const where = { topic, partition }
  const pending = createPendingRuns()
  let entries: LedgerEntry[] | undefined
  let consumedThrough = -1n
  let writing: Promise<void> | undefined
  let committing: Promise<void> = Promise.resolve()
  let retiredBy: 'rebalance' | 'shutdown' | undefined
  let failures = 0
  let lingerTimer: NodeJS.Timeout | undefined
  let wakeSleepers: () => void = () => undefined
  const retired = new Promise<void>((resolve) => (wakeSleepers = resolve))

  /** Waits `ms`, or less if the pipeline is retired meanwhile. */
  const pauseFor = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      void retired.then(() => {
        clearTimeout(timer)
        resolve()
      })
    })

  const nextRetryDelay = (): number => {
    const delay = retryDelaysMs[Math.min(failures, retryDelaysMs.length - 1)] ?? 1_000
    failures++
    return delay
  }

  const loadEntries = async (fromOffset: bigint): Promise<LedgerEntry[]> => {
    while (retiredBy === undefined) {
      try {
        const loaded = await ledger.entriesFrom(topic, partition, fromOffset)
        failures = 0
        if (loaded.length > 0) {
          logger.info(
            { ...where, fromOffset: String(fromOffset), entries: loaded.length },
            'kafka batches to replay found in the ledger',
          )
        }
        return loaded
      } catch (error) {
        const retryInMs = nextRetryDelay()
        logger.error(
          { ...where, err: toMessage(error), retryInMs },
          'reading the kafka batch ledger failed',
        )
        await pauseFor(retryInMs)
      }
    }
    return []
  }

  const pump = (): void => {
    if (retiredBy !== undefined || writing !== undefined || entries === undefined) return
    clearTimeout(lingerTimer)
    const oldest = pending.oldestReceivedAtMs
    const waitedMs = oldest === undefined ? 0 : Date.now() - oldest
    const plan = planNextBatch({
      pending,
      consumedThrough,
      entries,
      maxRows: options.maxBatchRows,
      flush: waitedMs >= options.maxBatchWaitMs,
    })
    if (plan.kind === 'wait') {
      if (oldest !== undefined && waitedMs < options.maxBatchWaitMs) {
        lingerTimer = setTimeout(pump, options.maxBatchWaitMs - waitedMs)
      }
      return
    }
    writing = execute(plan).finally(() => {
      writing = undefined
      pump()
    })
  }

  /** Writes one planned batch; never rejects: a failure is logged and retried by `pump`. */
  const execute = async (plan: Exclude<BatchPlan, { kind: 'wait' }>): Promise<void> => {
    const batch = pending.front(plan.messages)
    try {
      let entry: LedgerEntry
      if (plan.kind === 'replay') {
        entry = plan.entry
      } else {
        entry = await ledger.claim({
          groupId,
          topic,
          partition,
          firstOffset: batch.firstOffset,
          lastOffset: batch.lastOffset,
          firstTimestampMs: batch.firstTimestampMs,
        })
        if (entry.lastOffset !== batch.lastOffset) {
          adoptEarlierClaim(entry, batch.lastOffset)
          return
        }
      }
      await writeEntry(entry, batch, plan.kind === 'replay')
      failures = 0
    } catch (error) {
      metrics.writeFailures++
      const retryInMs = nextRetryDelay()
      logger.error(
        {
          ...where,
          firstOffset: String(batch.firstOffset),
          lastOffset: String(batch.lastOffset),
          err: toMessage(error),
          retryInMs,
        },
        'kafka batch write failed; it will be retried with the same token and nothing is committed until then',
      )
      await pauseFor(retryInMs)
    }
  }

  const adoptEarlierClaim = (entry: LedgerEntry, ourLastOffset: bigint): void => {
    metrics.lostClaims++
    logger.warn(
      {
        ...where,
        firstOffset: String(entry.firstOffset),
        lastOffset: String(entry.lastOffset),
        ourLastOffset: String(ourLastOffset),
      },
      'another worker claimed a batch at this offset first; writing that batch instead',
    )
    entries = [...(entries ?? []), entry].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
  }

  const writeEntry = async (
    entry: LedgerEntry,
    batch: PendingBatch,
    replay: boolean,
  ): Promise<void> => {
    const startedMs = performance.now()
    const { rows, rejectedRows } = batch
    let deadLetters = 0
    if (entry.written) {
      metrics.alreadyWrittenBatches++
    } else {
      const result = await options.writeBatch({
        topic,
        partition,
        token: entry.token,
        runs: batch.runs,
      })
      await ledger.markWritten(topic, partition, entry, rows)
      deadLetters = result.deadLetters.length
      for (const letter of result.deadLetters) {
        logger.warn(
          {
            ...where,
            offset: String(letter.offset),
            ...(letter.itemIndex === null ? {} : { item: letter.itemIndex }),
            error: letter.error,
          },
          letter.itemIndex === null
            ? 'kafka message sent to the dead letters'
            : 'rejected item of a kafka message sent to the dead letters',
        )
      }
      metrics.rowsWritten += rows
      metrics.deadLetters += deadLetters
      metrics.rejectedRows += rejectedRows
    }
    metrics.batches++
    if (replay) metrics.replayedBatches++
    const writeMs = performance.now() - startedMs
    options.onBatchWritten?.(rows, writeMs)
    logger.info(
      {
        ...where,
        firstOffset: String(entry.firstOffset),
        lastOffset: String(entry.lastOffset),
        messages: batch.messages,
        rows,
        rejectedRows,
        deadLetters,
        replay,
        alreadyWritten: entry.written,
        writeMs: Math.round(writeMs),
      },
      'kafka batch written',
    )
    if (retiredBy === undefined) {
      pending.drop(batch.messages)
      entries = (entries ?? []).filter((known) => known.firstOffset > entry.lastOffset)
      flow.release(batch.heldRows)
    }
    if (retiredBy !== 'rebalance') queueCommit(entry.lastOffset + 1n)
  }

  const queueCommit = (offset: bigint): void => {
    committing = committing.then(async () => {
      try {
        await options.commit(offset)
      } catch (error) {
        // Not fatal: a later commit covers these offsets, and until then a replay finds the
        // batch marked written in the ledger and only commits it.
        metrics.commitFailures++
        logger.warn(
          { ...where, offset: String(offset), err: toMessage(error) },
          'kafka offset commit failed',
        )
      }
    })
  }

  return {
    async append(fetched) {
      const firstRun = fetched.runs[0]
      if (retiredBy !== undefined || firstRun === undefined) return
      // The first fetch after an assignment starts at the committed offset: replay from there.
      entries ??= await loadEntries(offsetIn(firstRun, 0))
      if (retiredBy !== undefined) return
      let held = 0
      for (const run of fetched.runs) held += pending.push(run, consumedThrough)
      flow.hold(held)
      if (fetched.lastOffset > consumedThrough) consumedThrough = fetched.lastOffset
      pump()
    },

    async retire(reason) {
      if (retiredBy === undefined) {
        retiredBy = reason
        clearTimeout(lingerTimer)
        wakeSleepers()
        flow.release(pending.clear())
      }
      await writing
      if (reason === 'shutdown') await committing
    },
  }
}
