import { RhError, toMessage } from '../../../errors.ts'
import { insertRows } from '../../../store/insert-rows.ts'
import type { Store } from '../../../store/store-client.ts'
import { toBatchToken, toClaimToken, toWrittenToken, type BatchRange } from './batch-token.ts'
import type { LedgerEntry } from './plan-next-batch.ts'
import { selectRows } from '../../../store/select-rows.ts'

/**
 * The write-ahead ledger of one consumer group's Kafka batches, in the `kafka_batches` table.
 * See `createPartitionPipeline` for how it makes replays exactly-once.
 */
export interface BatchLedger {
  /** Entries of a partition that start at or after `fromOffset`, in offset order. */
  entriesFrom(topic: string, partition: number, fromOffset: bigint): Promise<LedgerEntry[]>
  /**
   * Records the intent to write `range`, unless a batch starting at the same message was
   * claimed first, and returns the entry that holds: this claim, or the earlier one.
   */
  claim(range: BatchRange): Promise<LedgerEntry>
  /** Records that the rows of the batch `entry` are stored. */
  markWritten(topic: string, partition: number, entry: LedgerEntry, rows: number): Promise<void>
}

interface EntryRecord {
  first_offset: string
  held_last_offset: string
  first_timestamp_ms: string
  held_token: string
  written: number | string
}

const TABLE = 'kafka_batches'

export function createBatchLedger(options: { store: Store; groupId: string }): BatchLedger {
  const { store, groupId } = options

  const readEntries = async (
    topic: string,
    partition: number,
    fromOffset: bigint,
    toOffset: bigint,
  ): Promise<LedgerEntry[]> => {
    // Deduplication keeps one intent per claim token; should it ever keep two (a window too
    // small), every reader still picks the same one: the earliest recorded.
    const query = `
      SELECT
        first_offset,
        first_timestamp_ms,
        argMinIf(last_offset, (recorded_at, last_offset), state = 'intent') AS held_last_offset,
        argMinIf(token, (recorded_at, last_offset), state = 'intent') AS held_token,
        countIf(state = 'written') > 0 AS written
      FROM ${store.database}.${TABLE}
      WHERE consumer_group = {group:String} AND topic = {topic:String}
        AND partition = {partition:Int32}
        AND first_offset BETWEEN {from:Int64} AND {to:Int64}
      GROUP BY first_offset, first_timestamp_ms
      HAVING countIf(state = 'intent') > 0
      ORDER BY first_offset`
    let records: EntryRecord[]
    try {
      records = await selectRows<EntryRecord>(store, query, {
        group: groupId,
        topic,
        partition,
        from: fromOffset.toString(),
        to: toOffset.toString(),
      })
    } catch (error) {
      throw new RhError(
        'RH_STORE_QUERY_FAILED',
        `reading the Kafka batch ledger of ${topic}/${partition} failed: ${toMessage(error)}`,
        { cause: error },
      )
    }
    return records.map(toLedgerEntry)
  }

  const ledgerRow = (
    topic: string,
    partition: number,
    entry: Omit<LedgerEntry, 'written'>,
    state: 'intent' | 'written',
    rows: number,
  ) => ({
    consumer_group: groupId,
    topic,
    partition,
    first_offset: entry.firstOffset.toString(),
    last_offset: entry.lastOffset.toString(),
    first_timestamp_ms: entry.firstTimestampMs,
    token: entry.token,
    state,
    rows,
  })

  return {
    entriesFrom: (topic, partition, fromOffset) =>
      readEntries(topic, partition, fromOffset, MAX_OFFSET),

    async claim(range) {
      await insertRows(store, {
        table: TABLE,
        rows: [
          ledgerRow(
            range.topic,
            range.partition,
            { ...range, token: toBatchToken(range) },
            'intent',
            0,
          ),
        ],
        deduplicationToken: toClaimToken(range),
      })
      const entries = await readEntries(
        range.topic,
        range.partition,
        range.firstOffset,
        range.firstOffset,
      )
      const held = entries.find((entry) => entry.firstTimestampMs === range.firstTimestampMs)
      if (held === undefined) {
        throw new RhError(
          'RH_STORE_QUERY_FAILED',
          `the Kafka batch ledger does not show the claim just recorded for ${range.topic}/${range.partition} at offset ${range.firstOffset}; is the store read from a lagging replica?`,
        )
      }
      return held
    },

    async markWritten(topic, partition, entry, rows) {
      await insertRows(store, {
        table: TABLE,
        rows: [ledgerRow(topic, partition, entry, 'written', rows)],
        deduplicationToken: toWrittenToken(entry.token),
      })
    },
  }
}

const MAX_OFFSET = 2n ** 63n - 1n

function toLedgerEntry(record: EntryRecord): LedgerEntry {
  return {
    firstOffset: BigInt(record.first_offset),
    lastOffset: BigInt(record.held_last_offset),
    firstTimestampMs: String(record.first_timestamp_ms),
    token: record.held_token,
    written: Number(record.written) === 1,
  }
}
