import { insertCompactRows } from '../../../store/insert-rows.ts'
import type { Store } from '../../../store/store-client.ts'

/**
 * A Kafka message that could not be ingested, with its raw bytes and the reason; or one
 * rejected item of a message whose other items were stored, with the item's own bytes.
 */
export interface DeadLetter {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  /** The item's position in the message (`RejectedItem.index`); null for a whole message. */
  readonly itemIndex: number | null
  readonly key: Buffer | null
  readonly payload: Buffer | null
  readonly error: string
  readonly receivedAtMs: number
}

/**
 * The row sent for a dead letter. Key and payload are arbitrary bytes, which JSON text cannot
 * carry, so they travel base64-encoded in the table's insert-only `*_base64` columns and the
 * columns' DEFAULT expressions (migration 2) store the decoded bytes.
 */
export function toDeadLetterRow(letter: DeadLetter): Record<string, string | number> {
  return {
    received_at: new Date(letter.receivedAtMs).toISOString().replace('T', ' ').replace('Z', ''),
    source: 'kafka',
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset.toString(),
    item_index: letter.itemIndex ?? -1,
    key_base64: letter.key?.toString('base64') ?? '',
    payload_base64: letter.payload?.toString('base64') ?? '',
    error: letter.error,
  }
}

const COLUMNS = [
  'received_at',
  'source',
  'topic',
  'partition',
  'offset',
  'item_index',
  'key_base64',
  'payload_base64',
  'error',
]

/**
 * Stores dead letters in `dead_letters`, exactly once per `deduplicationToken`. Throws
 * `RH_STORE_WRITE_FAILED` once retries are exhausted.
 */
export async function insertDeadLetters(
  store: Store,
  letters: readonly DeadLetter[],
  deduplicationToken: string,
): Promise<void> {
  await insertCompactRows(store, {
    table: 'dead_letters',
    columns: COLUMNS,
    rows: letters.map(toDeadLetterRow),
    deduplicationToken,
  })
}
