import type { KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import type { ConsumedRun } from '../../../src/ingest/kafka/consumed-message.ts'
import { createPendingRuns } from '../../../src/ingest/kafka/consumer/pending-runs.ts'
import {
  toConsumedMessage,
  toConsumedRuns,
} from '../../../src/ingest/kafka/consumer/to-consumed-message.ts'
import { decodeMessages } from '../../../src/ingest/kafka/formats/decode-message.ts'
import type { DecodedMessage } from '../../../src/ingest/kafka/formats/message-format.ts'
import { toBatchRows } from '../../../src/ingest/kafka/writer/write-batch.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { encodeEventsBlock } from '../../../src/store/events-block.ts'

const OPTIONS = { mapping: toMappingOptions(DEFAULT_CONFIG), maxMessageBytes: 10_000 }

function jsonEvent(n: number): string {
  return JSON.stringify({
    schemaVersion: 1,
    timestamp: `2026-11-27T01:00:${String(n % 60).padStart(2, '0')}.123456789Z`,
    service: 'checkout',
    environment: 'production',
    release: n % 3 === 0 ? '1.4.2' : '1.5.0',
    flags: n % 2 === 0 ? { 'new-checkout': 'on' } : {},
    name: 'checkout.completed',
    value: n % 5 === 0 ? null : n * 1.5,
    outcome: n % 7 === 0 ? 'failure' : 'success',
    attributes: { id: `event-${n}`, tenant: String(n % 11) },
  })
}

/** A fetched message as KafkaJS delivers it. */
function fetched(offset: number, value: string, timestamp = String(1_700_000_000_000 + offset)) {
  return {
    offset: String(offset),
    timestamp,
    key: Buffer.from(`key-${offset}`),
    value: Buffer.from(value),
    attributes: 0,
    headers: {},
    size: 0,
  } as unknown as KafkaMessage
}

/**
 * A fetch of a `json` topic: events, a poison message, an event whose timestamp `Number` does
 * not print back (kept on its own), a gap in the offsets.
 */
function mixedFetch(): { messages: KafkaMessage[]; decoded: DecodedMessage[] } {
  const messages = [
    fetched(100, jsonEvent(0)),
    fetched(101, jsonEvent(1)),
    fetched(102, jsonEvent(2)),
    fetched(103, '{"schemaVersion": 1,'),
    fetched(104, jsonEvent(4)),
    fetched(105, jsonEvent(5), '01700000000105'),
    fetched(106, jsonEvent(6)),
    fetched(110, jsonEvent(7)),
  ]
  return {
    messages,
    decoded: decodeMessages(
      'json',
      messages.map((m) => m.value),
      OPTIONS,
    ),
  }
}

/** A run as plain values, to compare. */
function describeRun(run: ConsumedRun) {
  return run.kind === 'message'
    ? { message: run.offset, timestampMs: run.timestampMs, rows: run.rows, key: run.key }
    : {
        offsets: [...run.offsets].map(BigInt),
        timestampsMs: [...run.timestampsMs],
        rows: [run.from, run.to],
      }
}

describe('toConsumedRuns', () => {
  it('holds consecutive event messages of a fetch as runs and every other message on its own', () => {
    const { messages, decoded } = mixedFetch()
    const runs = toConsumedRuns(messages, decoded, 42)
    expect(runs.map(describeRun)).toEqual([
      {
        offsets: [100n, 101n, 102n],
        timestampsMs: [1_700_000_000_100, 1_700_000_000_101, 1_700_000_000_102],
        rows: [0, 3],
      },
      { message: 103n, timestampMs: '1700000000103', rows: 0, key: Buffer.from('key-103') },
      { offsets: [104n], timestampsMs: [1_700_000_000_104], rows: [3, 4] },
      { message: 105n, timestampMs: '01700000000105', rows: 1, key: null },
      { offsets: [106n, 110n], timestampsMs: [1_700_000_000_106, 1_700_000_000_110], rows: [5, 7] },
    ])
    expect(runs.every((run) => run.receivedAtMs === 42)).toBe(true)
  })

  it('keeps an event with rejected items on its own, with its key for their dead letters', () => {
    const { messages, decoded } = mixedFetch()
    const event = decoded[1] as Extract<DecodedMessage, { table: 'events' }>
    const partial = { ...event, rejectedItems: [{ index: 1, reason: 'bad', payload: null }] }
    const runs = toConsumedRuns(messages, [decoded[0]!, partial, ...decoded.slice(2)], 0)
    expect(runs.slice(0, 3).map(describeRun)).toEqual([
      { offsets: [100n], timestampsMs: [1_700_000_000_100], rows: [0, 1] },
      { message: 101n, timestampMs: '1700000000101', rows: 1, key: Buffer.from('key-101') },
      { offsets: [102n], timestampsMs: [1_700_000_000_102], rows: [2, 3] },
    ])
  })

  it('keeps a message whose offset a double does not hold exactly on its own, with its exact offset', () => {
    const messages = [
      fetched(9_007_199_254_740_990, jsonEvent(0), '1700000000000'),
      { ...fetched(0, jsonEvent(1)), offset: '9007199254740993' },
    ]
    const decoded = decodeMessages(
      'json',
      messages.map((m) => m.value),
      OPTIONS,
    )
    const runs = toConsumedRuns(messages, decoded, 0)
    expect(runs.map((run) => run.kind)).toEqual(['events', 'message'])
    expect(runs[1]).toMatchObject({ offset: 9_007_199_254_740_993n })
  })

  it('gives batches cut anywhere the same Native events block and dead letters as messages held one by one', () => {
    const { messages, decoded } = mixedFetch()
    const single = messages.map((message, index) => toConsumedMessage(message, decoded[index]!, 7))
    const batchOf = (runs: readonly ConsumedRun[]) =>
      toBatchRows({ topic: 'events', partition: 3, token: 't', runs })
    for (let cut = 1; cut < messages.length; cut++) {
      const pending = createPendingRuns()
      for (const run of toConsumedRuns(messages, decoded, 7)) pending.push(run, -1n)
      const head = pending.front(cut)
      pending.drop(cut)
      const tail = pending.front(messages.length - cut)
      for (const [runs, expected] of [
        [head.runs, single.slice(0, cut)],
        [tail.runs, single.slice(cut)],
      ] as const) {
        const actual = batchOf(runs)
        const before = batchOf(expected)
        expect(actual.deadLetters, `cut at ${cut}`).toEqual(before.deadLetters)
        expect(Buffer.from(encodeEventsBlock(actual.events)), `cut at ${cut}`).toEqual(
          Buffer.from(encodeEventsBlock(before.events)),
        )
      }
      expect(head.rows + tail.rows).toBe(7)
    }
  })
})
