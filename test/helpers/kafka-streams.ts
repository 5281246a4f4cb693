/**
 * Event streams for the Kafka fault tests, and the checksums that prove exactly-once: every
 * produced event id is stored once, none is missing, none is extra.
 */
import type { Producer } from 'kafkajs'
import type { Store } from '../../src/store/store-client.ts'
import { releaseEvent, type TestKafka } from './kafka.ts'
import { queryRows } from './store.ts'

export interface StreamOptions {
  readonly topic: string
  readonly partitions: number
  /** Event ids are `<prefix><n>` for n from 0 to count - 1. */
  readonly prefix: string
  readonly count: number
  /** Events sent per produce call, spread over the partitions. */
  readonly batchSize: number
  /** Pause between produce calls, so that the stream lasts while workers die and restart. */
  readonly intervalMs: number
}

/** Produces the events in the background; resolves when all are acknowledged by the broker. */
export async function produceStream(producer: Producer, options: StreamOptions): Promise<void> {
  for (let start = 0; start < options.count; start += options.batchSize) {
    const end = Math.min(start + options.batchSize, options.count)
    const messages = []
    for (let n = start; n < end; n++) {
      messages.push({
        partition: n % options.partitions,
        value: releaseEvent({ id: `${options.prefix}${n}` }),
      })
    }
    await producer.send({ topic: options.topic, messages })
    if (end < options.count) await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
  }
}

/**
 * Messages a topic holds, all partitions: what the exactly-once checks rely on. The tests'
 * topics start at offset 0 and keep everything, and their producer writes no control records.
 */
export async function messagesInTopic(kafka: TestKafka, topic: string): Promise<number> {
  const ends = await kafka.endOffsets(topic)
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n))
}

export interface IdChecksum {
  /** Rows found. */
  readonly rows: string
  /** Distinct ids among them. */
  readonly ids: string
  /** Sum (mod 2^64) of cityHash64 of the ids. */
  readonly checksum: string
}

/** Count, distinct count and checksum of the stored events whose id starts with `prefix`. */
export async function storedChecksum(store: Store, prefix: string): Promise<IdChecksum> {
  const [row] = await queryRows<IdChecksum>(
    store,
    `SELECT toString(count()) AS rows, toString(uniqExact(attributes['id'])) AS ids,
            toString(sum(cityHash64(attributes['id']))) AS checksum
     FROM ${store.database}.events WHERE startsWith(attributes['id'], {prefix:String})`,
    { prefix },
  )
  return row as IdChecksum
}

/** What `storedChecksum` must return when every event of the stream is stored exactly once. */
export async function expectedChecksum(
  store: Store,
  prefix: string,
  count: number,
): Promise<IdChecksum> {
  const [row] = await queryRows<{ checksum: string }>(
    store,
    `SELECT toString(sum(cityHash64(concat({prefix:String}, toString(number))))) AS checksum
     FROM numbers({count:UInt64})`,
    { prefix, count },
  )
  return {
    rows: String(count),
    ids: String(count),
    checksum: (row as { checksum: string }).checksum,
  }
}

/** A seeded random number generator (mulberry32), so that a failing trial can be rerun. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
