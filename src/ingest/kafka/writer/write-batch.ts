import type { Store } from '../../../store/store-client.ts'
import type { ConsumedMessage } from '../consumed-message.ts'
import { insertDeadLetters, type DeadLetter } from '../dead-letters/dead-letter-writer.ts'
import type { MessageRows } from '../formats/message-format.ts'
import { insertCompactRows } from '../../../store/insert-rows.ts'
import { TABLE_COLUMNS } from '../../../store/table-columns.ts'

export interface BatchToWrite {
  readonly topic: string
  readonly partition: number
  /** The batch's deduplication token (`toBatchToken`), the same on every attempt and replay. */
  readonly token: string
  readonly messages: readonly ConsumedMessage[]
}

export interface BatchWriteResult {
  /** Rows stored per table, e.g. `{ spans: 48_210 }`. */
  readonly rowsByTable: Readonly<Record<string, number>>
  readonly deadLetters: readonly DeadLetter[]
}

/** Writes a batch's messages to the store, stored once however often it is called. */
export type WriteBatch = (batch: BatchToWrite) => Promise<BatchWriteResult>

/**
 * Writes the rows of a batch's messages, one insert per table, and its poison messages and
 * rejected items to the dead letters, each insert carrying the batch's token: an insert ClickHouse already holds is
 * dropped, so a retried or replayed batch is stored once. Rows keep message order, so a
 * replay builds the same blocks.
 */
export function createBatchWriter(store: Store): WriteBatch {
  return async (batch) => {
    const rowsByTable = new Map<MessageRows['table'], MessageRows['rows'][number][]>()
    const deadLetters: DeadLetter[] = []
    for (const message of batch.messages) {
      const { decoded } = message
      const letter = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        receivedAtMs: message.receivedAtMs,
      }
      if (decoded.kind === 'poison') {
        deadLetters.push({
          ...letter,
          itemIndex: null,
          payload: message.value,
          error: decoded.error,
        })
        continue
      }
      for (const item of decoded.rejectedItems) {
        deadLetters.push({
          ...letter,
          itemIndex: item.index,
          payload: item.payload,
          error: item.reason,
        })
      }
      let rows = rowsByTable.get(decoded.table)
      if (rows === undefined) rowsByTable.set(decoded.table, (rows = []))
      for (const row of decoded.rows) rows.push(row)
    }
    for (const [table, rows] of rowsByTable) {
      await insertCompactRows(store, {
        table,
        columns: TABLE_COLUMNS[table],
        rows,
        deduplicationToken: batch.token,
      })
    }
    await insertDeadLetters(store, deadLetters, batch.token)
    return {
      rowsByTable: Object.fromEntries(
        [...rowsByTable].map(([table, rows]) => [table, rows.length]),
      ),
      deadLetters,
    }
  }
}
