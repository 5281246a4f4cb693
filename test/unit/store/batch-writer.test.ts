import { describe, expect, it } from 'vitest'
import { createBatchWriter, type BatchWriterOptions } from '../../../src/store/batch-writer.ts'

interface Recorder {
  readonly batches: number[][]
  readonly tokens: string[]
  fail: boolean
  /** Fail only the first batch. */
  failOnce?: boolean
  /** Resolves writes only when released, to hold batches in flight. */
  hold?: Promise<void>
}

function writerFor(recorder: Recorder, overrides: Partial<BatchWriterOptions<number>> = {}) {
  return createBatchWriter<number>({
    writeBatch: async (rows, token) => {
      await recorder.hold
      if (recorder.fail) throw new Error('store down')
      if (recorder.failOnce === true) {
        recorder.failOnce = false
        throw new Error('store down')
      }
      recorder.batches.push([...rows])
      recorder.tokens.push(token)
    },
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
    const recorder: Recorder = { batches: [], tokens: [], fail: false }
    const writer = writerFor(recorder)
    await Promise.all([writer.write([1, 2]), writer.write([3]), writer.write([4, 5])])
    expect(recorder.batches).toEqual([[1, 2, 3, 4, 5]])
  })

  it('writes a full batch at once without waiting for the interval', async () => {
    const recorder: Recorder = { batches: [], tokens: [], fail: false }
    const writer = writerFor(recorder, { flushIntervalMs: 60_000 })
    await writer.write(range(0, 10))
    expect(recorder.batches).toEqual([range(0, 10)])
  })

  it('splits a large write into batches of at most maxBatchRows and acknowledges it after the last', async () => {
    const recorder: Recorder = { batches: [], tokens: [], fail: false }
    const writer = writerFor(recorder)
    await writer.write(range(0, 25))
    expect(recorder.batches.map((batch) => batch.length)).toEqual([10, 10, 5])
    expect(recorder.batches.flat()).toEqual(range(0, 25))
    expect(new Set(recorder.tokens).size).toBe(3)
  })

  it('rejects every caller of a failed batch, including one whose rows continue in the next batch', async () => {
    let release!: () => void
    const recorder: Recorder = {
      batches: [],
      tokens: [],
      fail: false,
      failOnce: true,
      hold: new Promise((resolve) => (release = resolve)),
    }
    const writer = writerFor(recorder)
    const whole = writer.write(range(0, 4))
    const straddling = writer.write(range(4, 12))
    release()
    await expect(whole).rejects.toThrow('store down')
    // Its last rows are in the second batch, which succeeds: it must still be rejected.
    await expect(straddling).rejects.toThrow('store down')
    await writer.close()
    expect(recorder.batches).toEqual([range(10, 6)])
  })

  it('refuses rows with RH_INGEST_SATURATED and a retry delay when the queue is full', async () => {
    const recorder: Recorder = { batches: [], tokens: [], fail: false }
    const writer = writerFor(recorder, {
      maxQueuedRows: 20,
      flushIntervalMs: 60_000,
      maxBatchRows: 1_000,
    })
    const accepted = writer.write(range(0, 15))
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
    const writer = writerFor({ batches: [], tokens: [], fail: false }, { maxQueuedRows: 5 })
    await expect(writer.write(range(0, 6))).rejects.toMatchObject({ code: 'RH_INGEST_TOO_LARGE' })
  })

  it('writes pending rows at once when draining, then refuses new rows once closed', async () => {
    const recorder: Recorder = { batches: [], tokens: [], fail: false }
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
})
