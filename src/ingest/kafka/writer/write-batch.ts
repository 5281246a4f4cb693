import type { Store } from '../../../store/store-client.ts'
import type { ConsumedRun } from '../consumed-message.ts'
import { insertDeadLetters, type DeadLetter } from '../dead-letters/dead-letter-writer.ts'
import type { MessageRows } from '../formats/message-format.ts'
import { insertEncoded } from '../../../store/insert-rows.ts'
import { encodeEventsBlock, type EventsSlice } from '../../../store/events-block.ts'
import {
  encodeMetricPointsBlock,
  METRIC_POINT_COLUMNS,
  type MetricPointsChunk,
} from '../../../store/metric-points-block.ts'
import { encodeSpansBlock, type SpansChunk } from '../../../store/spans-block.ts'
import { TABLE_COLUMNS } from '../../../store/table-columns.ts'

export interface BatchToWrite {
  readonly topic: string
  readonly partition: number
  /** The batch's deduplication token (`toBatchToken`), the same on every attempt and replay. */
  readonly token: string
  /** Its messages, in offset order: single messages and runs of event messages. */
  readonly runs: readonly ConsumedRun[]
}

export interface BatchWriteResult {
  /** Rows stored per table, e.g. `{ spans: 48_210 }`. */
  readonly rowsByTable: Readonly<Record<string, number>>
  readonly deadLetters: readonly DeadLetter[]
}

/** Adds a message's rows to those of their table, in message order. */
function collect(
  rows: MessageRows,
  spans: SpansChunk[],
  events: EventsSlice[],
  points: MetricPointsChunk[],
): void {
  if (rows.table === 'spans') spans.push(rows.chunk)
  else if (rows.table === 'metric_points') points.push(rows.chunk)
  else events.push(rows)
}

/** A batch's rows per table, in message order, and its dead letters. */
export interface BatchRows {
  readonly spans: readonly SpansChunk[]
  readonly events: readonly EventsSlice[]
  readonly points: readonly MetricPointsChunk[]
  readonly deadLetters: readonly DeadLetter[]
}

/**
 * What a batch's messages become: their rows per table, in message order, and a dead letter
 * for each poison message and each rejected item.
 */
export function toBatchRows(batch: BatchToWrite): BatchRows {
  const spans: SpansChunk[] = []
  const events: EventsSlice[] = []
  const points: MetricPointsChunk[] = []
  const deadLetters: DeadLetter[] = []
  for (const run of batch.runs) {
    if (run.kind === 'events') {
      // A run of event messages is one slice of its fetch's chunk: the same rows, in the
      // same order, as the slices of its messages, which `encodeEventsBlock` joins anyway.
      events.push(run)
      continue
    }
    const message = run
    const { decoded } = message
    if (decoded.kind === 'rows' && decoded.rejectedItems.length === 0) {
      collect(decoded, spans, events, points)
      continue
    }
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
    collect(decoded, spans, events, points)
  }
  return { spans, events, points, deadLetters }
}

/** Writes a batch's messages to the store, stored once however often it is called. */
export type WriteBatch = (batch: BatchToWrite) => Promise<BatchWriteResult>

/**
 * Writes the rows of a batch's messages, one insert per table (spans, events and metric points as Native blocks,
 * spans as the OTLP receivers write them), and its poison messages and rejected items to the dead
 * letters, each insert carrying the batch's token: an insert ClickHouse already holds is
 * dropped, so a retried or replayed batch is stored once. Rows keep message order, so a replay
 * builds the same blocks, byte for byte.
 */
export function createBatchWriter(store: Store): WriteBatch {
  return async (batch) => {
    const { spans, events, points, deadLetters } = toBatchRows(batch)
    const rowsByTable: Record<string, number> = {}
    if (spans.length > 0) {
      const rows = spans.reduce((sum, chunk) => sum + chunk.rows, 0)
      await insertEncoded(store, {
        table: 'spans',
        columns: TABLE_COLUMNS.spans,
        format: 'Native',
        body: encodeSpansBlock(spans),
        rows,
        deduplicationToken: batch.token,
      })
      rowsByTable.spans = rows
    }
    if (events.length > 0) {
      const rows = events.reduce((sum, slice) => sum + slice.to - slice.from, 0)
      await insertEncoded(store, {
        table: 'events',
        columns: TABLE_COLUMNS.events,
        format: 'Native',
        body: encodeEventsBlock(events),
        rows,
        deduplicationToken: batch.token,
      })
      rowsByTable.events = rows
    }
    if (points.length > 0) {
      const rows = points.reduce((sum, chunk) => sum + chunk.rows, 0)
      await insertEncoded(store, {
        table: 'metric_points',
        columns: METRIC_POINT_COLUMNS,
        format: 'Native',
        body: encodeMetricPointsBlock(points),
        rows,
        deduplicationToken: batch.token,
      })
      rowsByTable.metric_points = rows
    }
    await insertDeadLetters(store, deadLetters, batch.token)
    return { rowsByTable, deadLetters }
  }
}
