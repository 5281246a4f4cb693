import type { ConsumedEventRun, ConsumedMessage } from '../../src/ingest/kafka/consumed-message.ts'
import { toEventsChunk, type EventsChunk } from '../../src/store/events-block.ts'

/** The Kafka timestamp the helpers give the message at `offset`, in milliseconds. */
export const timestampOf = (offset: number | bigint): number => 1_700_000_000_000 + Number(offset)

/** An events chunk of `rows` rows, row `n` holding the value `n`. */
export function eventsChunk(rows: number): EventsChunk {
  return toEventsChunk(
    Array.from({ length: rows }, (_, n) => ({
      timestamp: String(1_700_000_000_000_000_000n + BigInt(n)),
      service: 's',
      environment: '',
      release: '',
      flags: {},
      name: 'n',
      value: n,
      outcome: '' as const,
      attributes: {},
    })),
  )
}

/** Event messages at `offsets`, rows `from`... of `chunk` (a chunk of their own by default). */
export function eventRun(
  offsets: readonly number[],
  options: { chunk?: EventsChunk; from?: number; receivedAtMs?: number } = {},
): ConsumedEventRun {
  const from = options.from ?? 0
  return {
    kind: 'events',
    chunk: options.chunk ?? eventsChunk(from + offsets.length),
    from,
    to: from + offsets.length,
    offsets: Float64Array.from(offsets),
    timestampsMs: Float64Array.from(offsets, timestampOf),
    receivedAtMs: options.receivedAtMs ?? 0,
  }
}

/** A message held on its own, at `offset`, with `rows` rows (0: a poison message). */
export function singleMessage(offset: number, rows = 1): ConsumedMessage {
  return {
    kind: 'message',
    offset: BigInt(offset),
    timestampMs: String(timestampOf(offset)),
    decoded:
      rows === 0
        ? { kind: 'poison', error: 'not json' }
        : {
            kind: 'rows',
            table: 'events',
            chunk: eventsChunk(rows),
            from: 0,
            to: rows,
            rejectedItems: [],
          },
    rows,
    key: null,
    value: null,
    receivedAtMs: 0,
  }
}
