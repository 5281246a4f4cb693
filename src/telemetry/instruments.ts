/**
 * What release-health measures about itself. Members are plain functions (no `this`), so they
 * can be passed around as callbacks. Stages call these; the OpenTelemetry-backed
 * implementation (`otel-instruments.ts`) exports them, and the no-op default keeps stages and
 * tests free of any metrics SDK.
 */
export interface Instruments {
  /** Spans received over OTLP, by outcome. */
  readonly spansReceived: (count: number, outcome: 'accepted' | 'rejected') => void
  /** One answered OTLP request, by HTTP status. */
  readonly otlpRequest: (status: number) => void
  /** One written batch: its rows and how long the write took. */
  readonly batchWritten: (rows: number, writeMs: number) => void
  /** Rows accepted and not yet written, read when metrics are collected. */
  readonly observeQueue: (read: () => number) => void
  /**
   * Monotonic counters kept elsewhere (the Kafka workers'), read at collection and exported
   * as `<prefix>.<name>`; the names are fixed by the first read.
   */
  readonly observeCounters: (prefix: string, read: () => Readonly<Record<string, number>>) => void
  /** One uncached verdict evaluation. */
  readonly verdictEvaluated: (decision: string, evaluationMs: number) => void
  /** One answered HTTP request of the API or a receiver, by its route pattern. */
  readonly httpServed: (request: ServedRequest) => void
  /** One Kafka batch written (or found already written): its rows and how long that took. */
  readonly kafkaBatchWritten: (rows: number, writeMs: number) => void
  /** Kafka consumer lag (messages) of each assigned partition, read when metrics are collected. */
  readonly observeKafkaLag: (
    read: () => readonly { topic: string; partition: number; lag: bigint }[],
  ) => void
}

export interface ServedRequest {
  /** Which of release-health's servers answered: `api`, `otlp`. */
  readonly server: string
  readonly method: string
  /** The route pattern (`/api/v1/analyses/:id`), never the raw path: bounded cardinality. */
  readonly route: string
  readonly status: number
  readonly durationMs: number
}

const ignore = (): void => undefined

export const noopInstruments: Instruments = {
  spansReceived: ignore,
  otlpRequest: ignore,
  batchWritten: ignore,
  observeQueue: ignore,
  observeCounters: ignore,
  verdictEvaluated: ignore,
  httpServed: ignore,
  kafkaBatchWritten: ignore,
  observeKafkaLag: ignore,
}
