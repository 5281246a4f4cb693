/** Counters of a Kafka ingest since it started, for logs, `/metrics` and tests. */
export interface KafkaIngestMetrics {
  /** Messages fetched and decoded (a message fetched again after a rebalance counts again). */
  messages: number
  /** Rows stored, spans and events; rows of a replayed batch ClickHouse already held count too. */
  rowsWritten: number
  /** Valid messages with some invalid spans: the spans left out. */
  rejectedRows: number
  /** Poison messages sent to the dead letters. */
  deadLetters: number
  /** Batches written (first writes and replays). */
  batches: number
  /** Batches replayed from the ledger after a crash, a rebalance or a failed write. */
  replayedBatches: number
  /** Replayed batches the ledger already marked written: committed without writing. */
  alreadyWrittenBatches: number
  /** Claims lost to another worker that recorded a batch at the same message first. */
  lostClaims: number
  /** Failed attempts to write a batch (each retried with the same token). */
  writeFailures: number
  commitFailures: number
}

export function createIngestMetrics(): KafkaIngestMetrics {
  return {
    messages: 0,
    rowsWritten: 0,
    rejectedRows: 0,
    deadLetters: 0,
    batches: 0,
    replayedBatches: 0,
    alreadyWrittenBatches: 0,
    lostClaims: 0,
    writeFailures: 0,
    commitFailures: 0,
  }
}
