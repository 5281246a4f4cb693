import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/logger.ts'
import {
  offsetIn,
  type ConsumedMessage,
  type ConsumedRun,
} from '../../../src/ingest/kafka/consumed-message.ts'
import {
  createFlowControl,
  type FlowControl,
} from '../../../src/ingest/kafka/consumer/flow-control.ts'
import { createPartitionPipeline } from '../../../src/ingest/kafka/consumer/partition-pipeline.ts'
import { createIngestMetrics } from '../../../src/ingest/kafka/ingest-metrics.ts'
import type { BatchLedger } from '../../../src/ingest/kafka/ledger/batch-ledger.ts'
import { toBatchToken, type BatchRange } from '../../../src/ingest/kafka/ledger/batch-token.ts'
import type { LedgerEntry } from '../../../src/ingest/kafka/ledger/plan-next-batch.ts'
import type { BatchToWrite } from '../../../src/ingest/kafka/writer/write-batch.ts'
import { toEventsChunk } from '../../../src/store/events-block.ts'
import { eventRun, singleMessage, timestampOf } from '../../helpers/consumed-runs.ts'
import { waitFor } from '../../helpers/store.ts'

/** A fetched json message at `offset` holding one events row. */
function message(offset: number): ConsumedMessage {
  return {
    kind: 'message',
    offset: BigInt(offset),
    timestampMs: `t${offset}`,
    decoded: {
      kind: 'rows',
      table: 'events',
      chunk: toEventsChunk([
        {
          timestamp: '0',
          service: 's',
          environment: '',
          release: '',
          flags: {},
          name: 'n',
          value: offset,
          outcome: '',
          attributes: {},
        },
      ]),
      from: 0,
      to: 1,
      rejectedItems: [],
    },
    rows: 1,
    key: null,
    value: null,
    receivedAtMs: 0,
  }
}

function recorded(first: number, last: number, written = false): LedgerEntry {
  return {
    firstOffset: BigInt(first),
    lastOffset: BigInt(last),
    firstTimestampMs: `t${first}`,
    token: `recorded-${first}-${last}`,
    written,
  }
}

interface Harness {
  /** What happened, in order: claims, writes (offsets and token), written marks, commits. */
  readonly events: string[]
  append(...offsets: number[]): Promise<void>
  /** Appends a fetch of runs, as `toConsumedRuns` makes them. */
  appendRuns(...runs: ConsumedRun[]): Promise<void>
  readonly flow: FlowControl
  retire(reason: 'rebalance' | 'shutdown'): Promise<void>
  /** Lets the next `count` writes fail. */
  failWrites(count: number): void
  /** Holds writes until `release` is called. */
  holdWrites(): { release: () => void }
}

/** A pipeline over an in-memory ledger that may already hold `entries`. */
function harness(
  options: {
    entries?: LedgerEntry[]
    claims?: Map<bigint, LedgerEntry>
    maxBatchRows?: number
  } = {},
): Harness {
  const events: string[] = []
  const entries = options.entries ?? []
  const claims = options.claims ?? new Map<bigint, LedgerEntry>()
  let failures = 0
  let hold: Promise<void> | undefined
  const ledger: BatchLedger = {
    entriesFrom: (_topic, _partition, from) =>
      Promise.resolve(entries.filter((entry) => entry.firstOffset >= from)),
    claim(range: BatchRange) {
      events.push(`claim ${range.firstOffset}-${range.lastOffset}`)
      const held = claims.get(range.firstOffset) ?? {
        ...range,
        token: toBatchToken(range),
        written: false,
      }
      claims.set(range.firstOffset, held)
      return Promise.resolve(held)
    },
    markWritten(_topic, _partition, entry) {
      events.push(`mark ${entry.firstOffset}-${entry.lastOffset}`)
      return Promise.resolve()
    },
  }
  const flow = createFlowControl(1_000)
  const pipeline = createPartitionPipeline({
    groupId: 'group',
    topic: 'topic',
    partition: 0,
    ledger,
    async writeBatch(batch: BatchToWrite) {
      await hold
      const offsets = batch.runs.flatMap((run) =>
        run.kind === 'message' ? [run.offset] : [...run.offsets].map(BigInt),
      )
      const range = `${offsets[0]}-${offsets[offsets.length - 1]}`
      const eventRows = batch.runs
        .filter((run) => run.kind === 'events')
        .map((run) => `${run.from}-${run.to}`)
      if (eventRows.length > 0) events.push(`rows ${eventRows.join(' ')}`)
      if (failures > 0) {
        failures--
        events.push(`failed write ${range} ${batch.token}`)
        throw new Error('injected')
      }
      events.push(`write ${range} ${batch.token}`)
      return { rowsByTable: { events: offsets.length }, deadLetters: [] }
    },
    commit(offset) {
      events.push(`commit ${offset}`)
      return Promise.resolve()
    },
    flow,
    metrics: createIngestMetrics(),
    logger: silentLogger,
    maxBatchRows: options.maxBatchRows ?? 100,
    maxBatchWaitMs: 0,
    retryDelaysMs: [0],
  })
  return {
    events,
    append: (...offsets) =>
      pipeline.append({
        runs: offsets.map(message),
        lastOffset: BigInt(offsets[offsets.length - 1] ?? -1),
      }),
    appendRuns: (...runs) => {
      const last = runs[runs.length - 1]
      const lastOffset =
        last === undefined
          ? -1n
          : offsetIn(last, last.kind === 'message' ? 0 : last.offsets.length - 1)
      return pipeline.append({ runs, lastOffset })
    },
    flow,
    retire: (reason) => pipeline.retire(reason),
    failWrites(count) {
      failures = count
    },
    holdWrites() {
      let release = (): void => undefined
      hold = new Promise((resolve) => (release = resolve))
      return { release: () => release() }
    },
  }
}

async function until(h: Harness, event: string): Promise<void> {
  await waitFor(() => (h.events.includes(event) ? true : undefined), { what: event, intervalMs: 1 })
}

/** A batch recorded at offsets whose timestamps are numbers, as runs hold them. */
function numbered(first: number, last: number): LedgerEntry {
  return { ...recorded(first, last), firstTimestampMs: String(timestampOf(first)) }
}

const numberedToken = (first: number, last: number): string =>
  toBatchToken({
    groupId: 'group',
    topic: 'topic',
    partition: 0,
    firstOffset: BigInt(first),
    lastOffset: BigInt(last),
    firstTimestampMs: String(timestampOf(first)),
  })

const token = (first: number, last: number): string =>
  toBatchToken({
    groupId: 'group',
    topic: 'topic',
    partition: 0,
    firstOffset: BigInt(first),
    lastOffset: BigInt(last),
    firstTimestampMs: `t${first}`,
  })

describe('createPartitionPipeline', () => {
  it('claims a batch, writes it, marks it written and only then commits the offset after it', async () => {
    const h = harness()
    await h.append(0, 1, 2)
    await until(h, 'commit 3')
    expect(h.events).toEqual(['claim 0-2', `write 0-2 ${token(0, 2)}`, 'mark 0-2', 'commit 3'])
  })

  it('replays the batches recorded beyond the committed offset exactly, with their tokens, before cutting new ones', async () => {
    const h = harness({ entries: [recorded(0, 1), recorded(2, 4)], maxBatchRows: 2 })
    await h.append(0, 1, 2, 3, 4, 5)
    await until(h, 'commit 6')
    expect(h.events).toEqual([
      'write 0-1 recorded-0-1',
      'mark 0-1',
      'commit 2',
      'write 2-4 recorded-2-4',
      'mark 2-4',
      'commit 5',
      'claim 5-5',
      `write 5-5 ${token(5, 5)}`,
      'mark 5-5',
      'commit 6',
    ])
  })

  it('only commits a recorded batch the ledger marks written', async () => {
    const h = harness({ entries: [recorded(0, 1, true)] })
    await h.append(0, 1)
    await until(h, 'commit 2')
    expect(h.events).toEqual(['commit 2'])
  })

  it('writes the batch another worker claimed first at the same offset instead of its own', async () => {
    const h = harness({ claims: new Map([[0n, recorded(0, 1)]]) })
    await h.append(0, 1, 2)
    await until(h, 'commit 3')
    expect(h.events).toEqual([
      'claim 0-2',
      'write 0-1 recorded-0-1',
      'mark 0-1',
      'commit 2',
      'claim 2-2',
      `write 2-2 ${token(2, 2)}`,
      'mark 2-2',
      'commit 3',
    ])
  })

  it('retries a failed write with the same token and commits nothing until it succeeds', async () => {
    const h = harness()
    h.failWrites(2)
    await h.append(0, 1)
    await until(h, 'commit 2')
    expect(h.events).toEqual([
      'claim 0-1',
      `failed write 0-1 ${token(0, 1)}`,
      'claim 0-1',
      `failed write 0-1 ${token(0, 1)}`,
      'claim 0-1',
      `write 0-1 ${token(0, 1)}`,
      'mark 0-1',
      'commit 2',
    ])
  })

  it('lets the batch being written finish without committing it when retired by a rebalance', async () => {
    const h = harness()
    const held = h.holdWrites()
    await h.append(0, 1)
    await until(h, 'claim 0-1')
    const retired = h.retire('rebalance')
    held.release()
    await retired
    await h.append(2)
    expect(h.events).toEqual(['claim 0-1', `write 0-1 ${token(0, 1)}`, 'mark 0-1'])
  })

  it('commits the batch being written when retired by a shutdown', async () => {
    const h = harness()
    const held = h.holdWrites()
    await h.append(0, 1)
    await until(h, 'claim 0-1')
    const retired = h.retire('shutdown')
    held.release()
    await retired
    expect(h.events).toEqual(['claim 0-1', `write 0-1 ${token(0, 1)}`, 'mark 0-1', 'commit 2'])
  })

  it('cuts a run of event messages where a recorded batch begins and replays that batch from inside the run', async () => {
    const h = harness({ entries: [numbered(13, 15)] })
    await h.appendRuns(eventRun([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], { from: 5 }))
    await until(h, 'commit 20')
    expect(h.events).toEqual([
      'claim 10-12',
      'rows 5-8',
      `write 10-12 ${numberedToken(10, 12)}`,
      'mark 10-12',
      'commit 13',
      'rows 8-11',
      'write 13-15 recorded-13-15',
      'mark 13-15',
      'commit 16',
      'claim 16-19',
      'rows 11-15',
      `write 16-19 ${numberedToken(16, 19)}`,
      'mark 16-19',
      'commit 20',
    ])
    expect(h.flow.heldRows).toBe(0)
  })

  it('cuts runs at maxBatchRows and skips the messages of a run fetched again', async () => {
    const h = harness({ maxBatchRows: 4 })
    const held = h.holdWrites()
    await h.appendRuns(eventRun([0, 1, 2]))
    await until(h, 'claim 0-2')
    // Fetched again from 1 (a lost hand-over): only 3 to 6 are new.
    await h.appendRuns(eventRun([1, 2, 3, 4, 5, 6]))
    expect(h.flow.heldRows).toBe(7)
    held.release()
    await until(h, 'commit 7')
    expect(h.events).toEqual([
      'claim 0-2',
      'rows 0-3',
      `write 0-2 ${numberedToken(0, 2)}`,
      'mark 0-2',
      'commit 3',
      'claim 3-6',
      'rows 2-6',
      `write 3-6 ${numberedToken(3, 6)}`,
      'mark 3-6',
      'commit 7',
    ])
    expect(h.flow.heldRows).toBe(0)
  })

  it('holds a slot per buffered message of its runs and releases them all when retired', async () => {
    const h = harness()
    const held = h.holdWrites()
    await h.appendRuns(eventRun([0, 1]), singleMessage(2, 0), eventRun([3, 4, 5]))
    await until(h, 'claim 0-5')
    await h.appendRuns(eventRun([6, 7]))
    expect(h.flow.heldRows).toBe(8)
    const retired = h.retire('rebalance')
    held.release()
    await retired
    // Everything buffered, the batch being written included, is dropped on retiring.
    expect(h.flow.heldRows).toBe(0)
  })
})
