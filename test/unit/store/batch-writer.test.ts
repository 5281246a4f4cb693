import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBatchWriter, type BatchWriterOptions } from '../../../src/store/batch-writer.ts'

/** A request's rows; a negative number stands for a value the store refuses. */
type Request = readonly number[]

interface Recorder {
  readonly batches: number[][]
  readonly tokens: string[]
  /** The store is down: every write fails for a passing reason. */
  down?: boolean
  /** Fail only the first batch, as a down store. */
  downOnce?: boolean
  /** Resolves writes only when released, to hold batches in flight. */
  hold?: Promise<void>
}

/**
 * A stand-in for the store, which cannot be made to refuse one particular row on demand: it
 * fails like ClickHouse does, with its error code, when a batch holds a negative number.
 */
function writerFor(recorder: Recorder, overrides: Partial<BatchWriterOptions<Request>> = {}) {
  return createBatchWriter<Request>({
    writeBatch: async (requests, token) => {
      await recorder.hold
      if (recorder.down === true || recorder.downOnce === true) {
        recorder.downOnce = false
        throw Object.assign(new Error('Timeout exceeded: elapsed 30 s'), { code: '159' })
      }
      const rows = requests.flat()
      const refused = rows.find((row) => row < 0)
      if (refused !== undefined) {
        throw Object.assign(
          new Error(`Value ${refused} is out of range; rows: ${rows.join(',')}`),
          { code: '321' },
        )
      }
      recorder.batches.push(rows)
      recorder.tokens.push(token)
    },
    rowsOf: (request) => request.length,
    maxBatchRows: 10,
    flushIntervalMs: 5,
    maxQueuedRows: 100,
    ...overrides,
  })
}

const range = (from: number, count: number): number[] =>
  Array.from({ length: count }, (_, index) => from + index)

describe('createBatchWriter', () => {
  it('commits concurrent small writes as one batch and acknowledges each caller', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder)
    await Promise.all([writer.write([1, 2]), writer.write([3]), writer.write([4, 5])])
    expect(recorder.batches).toEqual([[1, 2, 3, 4, 5]])
  })

  it('writes a full batch at once without waiting for the interval', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder, { flushIntervalMs: 60_000 })
    await writer.write(range(0, 10))
    expect(recorder.batches).toEqual([range(0, 10)])
  })

  it('never splits a request: one larger than maxBatchRows is a batch of its own', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder)
    await Promise.all([writer.write(range(0, 4)), writer.write(range(4, 25)), writer.write([99])])
    expect(recorder.batches).toEqual([range(0, 4), range(4, 25), [99]])
    expect(new Set(recorder.tokens).size).toBe(3)
  })

  it('writes the other requests of a batch and fails only the one whose rows the store refuses', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder, { maxBatchRows: 1_000, flushIntervalMs: 20 })
    const good = Array.from({ length: 10 }, (_, i) => writer.write([i * 10, i * 10 + 1]))
    const poison = writer.write([7, -1])
    const outcomes = await Promise.allSettled([...good, poison])

    expect(outcomes.slice(0, 10).every((outcome) => outcome.status === 'fulfilled')).toBe(true)
    const failure = outcomes[10]
    expect(failure?.status).toBe('rejected')
    const reason = (failure as PromiseRejectedResult).reason as Error & { code: string }
    expect(reason.code).toBe('RH_INGEST_REFUSED_BY_STORE')
    // The store's own message, about this request's rows and no one else's.
    expect(reason.message).toContain('Value -1 is out of range; rows: 7,-1')
    expect(recorder.batches.flat().sort((a, b) => a - b)).toEqual(
      range(0, 10).flatMap((i) => [i * 10, i * 10 + 1]),
    )
    // Each half carries a token derived from its batch's, so a retried half stays deduplicated.
    expect(recorder.tokens.every((token) => /:[01]$/.test(token))).toBe(true)
  })

  it('fails every caller of a batch the store could not take, as retriable and without data', async () => {
    let release!: () => void
    const recorder: Recorder = {
      batches: [],
      tokens: [],
      downOnce: true,
      hold: new Promise((resolve) => (release = resolve)),
    }
    const writer = writerFor(recorder, { maxBatchRows: 1_000 })
    const first = writer.write([1, 2])
    const second = writer.write([3])
    release()
    for (const outcome of await Promise.allSettled([first, second])) {
      expect(outcome.status).toBe('rejected')
      const reason = (outcome as PromiseRejectedResult).reason as Error & {
        code: string
        retriable: boolean
        retryAfterSeconds: number
      }
      expect(reason).toMatchObject({ code: 'RH_STORE_WRITE_FAILED', retriable: true })
      expect(reason.retryAfterSeconds).toBeGreaterThan(0)
      expect(reason.message).not.toMatch(/Timeout exceeded|1|2|3/)
    }
    await writer.write([4])
    expect(recorder.batches).toEqual([[4]])
  })

  it('refuses rows with RH_INGEST_SATURATED and a retry delay when the queue is full', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder, {
      maxQueuedRows: 20,
      flushIntervalMs: 60_000,
      maxBatchRows: 1_000,
    })
    const accepted = writer.write(range(0, 15))
    expect(writer.isSaturated(10)).toBe(true)
    expect(writer.isSaturated(5)).toBe(false)
    await expect(writer.write(range(15, 10))).rejects.toMatchObject({
      code: 'RH_INGEST_SATURATED',
      retryAfterSeconds: 1,
    })
    expect(writer.queuedRows).toBe(15)
    await writer.close()
    await accepted
    expect(recorder.batches.flat()).toEqual(range(0, 15))
  })

  it('refuses a single write larger than the whole queue as too large, not saturated', async () => {
    const writer = writerFor({ batches: [], tokens: [] }, { maxQueuedRows: 5 })
    await expect(writer.write(range(0, 6))).rejects.toMatchObject({ code: 'RH_INGEST_TOO_LARGE' })
  })

  it('writes pending rows at once when draining, then refuses new rows once closed', async () => {
    const recorder: Recorder = { batches: [], tokens: [] }
    const writer = writerFor(recorder, { flushIntervalMs: 60_000, maxBatchRows: 1_000 })
    const pending = writer.write([1, 2, 3])
    writer.drain()
    await pending
    const duringDrain = writer.write([4])
    await duringDrain
    await writer.close()
    expect(recorder.batches.flat()).toEqual([1, 2, 3, 4])
    await expect(writer.write([5])).rejects.toMatchObject({ code: 'RH_INGEST_SHUTTING_DOWN' })
  })

  describe('under steady load', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    async function feed(
      writer: ReturnType<typeof writerFor>,
      rowsPerRequest: number,
      everyMs: number,
      forMs: number,
    ): Promise<void> {
      for (let t = 0; t < forMs; t += everyMs) {
        void writer.write(range(t * 1_000, rowsPerRequest))
        await vi.advanceTimersByTimeAsync(everyMs)
      }
    }

    it('writes a batch flushIntervalMs after its first row when rows trickle in', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const recorder: Recorder = { batches: [], tokens: [] }
      const writer = writerFor(recorder, {
        flushIntervalMs: 50,
        minBatchRows: 1_000,
        maxBatchDelayMs: 500,
        maxBatchRows: 10_000,
        maxQueuedRows: 100_000,
      })
      await feed(writer, 5, 100, 2_000)
      expect(recorder.batches.every((batch) => batch.length === 5)).toBe(true)
    })

    it('waits to fill minBatchRows when rows arrive fast enough, within maxBatchDelayMs', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const recorder: Recorder = { batches: [], tokens: [] }
      const writer = writerFor(recorder, {
        flushIntervalMs: 50,
        minBatchRows: 1_000,
        maxBatchDelayMs: 500,
        maxBatchRows: 10_000,
        maxQueuedRows: 100_000,
      })
      // 100 rows every 20 ms: 5,000 rows a second fill 1,000 in about 200 ms.
      await feed(writer, 100, 20, 3_000)
      const steady = recorder.batches.slice(-5).map((batch) => batch.length)
      expect(Math.min(...steady)).toBeGreaterThanOrEqual(1_000)
      expect(Math.max(...steady)).toBeLessThan(2_000)
    })
  })
})
