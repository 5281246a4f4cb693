import type { Attributes, Meter } from '@opentelemetry/api'
import type { Instruments } from './instruments.ts'

/**
 * The histograms release-health records, named the OpenTelemetry way (unit in `unit`, not in
 * the name). The Prometheus side renames the ones measured in seconds (`prometheus-metrics.ts`).
 */
export const HISTOGRAMS = {
  batchRows: {
    name: 'rh.writer.batch.rows',
    unit: '{row}',
    description: 'Rows per written batch',
    boundaries: [10, 100, 1000, 5000, 10000, 25000, 50000, 100000],
    labelled: false,
  },
  writeDuration: {
    name: 'rh.writer.write.duration',
    unit: 's',
    description: 'Time to write one batch to ClickHouse',
    boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelled: false,
  },
  evaluationDuration: {
    name: 'rh.verdict.evaluation.duration',
    unit: 's',
    description: 'Time to query cohorts and judge one analysis (uncached evaluations)',
    boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelled: false,
  },
  kafkaBatchRows: {
    name: 'rh.kafka.batch.rows',
    unit: '{row}',
    description: 'Rows per written Kafka batch',
    boundaries: [10, 100, 1000, 5000, 10000, 25000, 50000, 100000],
    labelled: false,
  },
  kafkaBatchDuration: {
    name: 'rh.kafka.batch.write.duration',
    unit: 's',
    description: 'Time to write one Kafka batch (rows, dead letters, ledger) to ClickHouse',
    boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelled: false,
  },
  httpDuration: {
    name: 'http.server.request.duration',
    unit: 's',
    description: 'Time to answer an HTTP request of the API or a receiver, by route and status',
    boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelled: true,
  },
} as const

export type HistogramKey = keyof typeof HISTOGRAMS

/** Values every series of a counter starts at 0 with, so that it is there from the start. */
const SPAN_OUTCOMES = ['accepted', 'rejected'] as const
const DECISIONS = ['promote', 'continue', 'rollback', 'inconclusive'] as const
const OTLP_STATUSES = [200, 400, 401, 403, 413, 415, 429, 503] as const

export interface OtelInstrumentsOptions {
  /** Called once per histogram, before its first value is recorded. */
  readonly onFirstRecord?: (key: HistogramKey) => void
}

/**
 * Instruments recorded on every meter given: one per metrics pipeline (the Prometheus
 * exposition, and the OpenTelemetry SDK's exporters when configured), so each pipeline keeps
 * its own names and readers while stages record once.
 */
export function createOtelInstruments(
  meters: readonly Meter[],
  options: OtelInstrumentsOptions = {},
): Instruments {
  const counter = (name: string, description: string, unit: string) => {
    const counters = meters.map((meter) => meter.createCounter(name, { description, unit }))
    return (value: number, attributes: Attributes) => {
      for (const each of counters) each.add(value, attributes)
    }
  }
  const recorded = new Set<HistogramKey>()
  const histogram = (key: HistogramKey) => {
    const { name, unit, description, boundaries } = HISTOGRAMS[key]
    const histograms = meters.map((meter) =>
      meter.createHistogram(name, {
        unit,
        description,
        advice: { explicitBucketBoundaries: [...boundaries] },
      }),
    )
    return (value: number, attributes: Attributes = {}) => {
      if (!recorded.has(key)) {
        recorded.add(key)
        options.onFirstRecord?.(key)
      }
      for (const each of histograms) each.record(value, attributes)
    }
  }

  const spans = counter('rh.ingest.spans', 'Spans received over OTLP, by outcome', '{span}')
  const requests = counter('rh.ingest.requests', 'OTLP requests answered, by status', '{request}')
  const verdicts = counter(
    'rh.verdict.evaluations',
    'Uncached verdict evaluations, by decision',
    '{evaluation}',
  )
  for (const outcome of SPAN_OUTCOMES) spans(0, { outcome })
  for (const status of OTLP_STATUSES) requests(0, { 'http.response.status_code': status })
  for (const decision of DECISIONS) verdicts(0, { decision })
  const batchRows = histogram('batchRows')
  const writeDuration = histogram('writeDuration')
  const evaluationDuration = histogram('evaluationDuration')
  const httpDuration = histogram('httpDuration')
  const kafkaBatchRows = histogram('kafkaBatchRows')
  const kafkaBatchDuration = histogram('kafkaBatchDuration')

  return {
    spansReceived: (count, outcome) => spans(count, { outcome }),
    otlpRequest: (status) => requests(1, { 'http.response.status_code': status }),
    batchWritten: (rows, writeMs) => {
      batchRows(rows)
      writeDuration(writeMs / 1000)
    },
    observeQueue: (read) => {
      for (const meter of meters) {
        meter
          .createObservableGauge('rh.writer.queue.rows', {
            description: 'Rows accepted and not yet written',
            unit: '{row}',
          })
          .addCallback((result) => result.observe(read()))
      }
    },
    observeCounters: (prefix, read) => {
      for (const name of Object.keys(read())) {
        for (const meter of meters) {
          meter
            .createObservableCounter(`${prefix}.${toSnakeCase(name)}`)
            .addCallback((result) => result.observe(read()[name] ?? 0))
        }
      }
    },
    verdictEvaluated: (decision, evaluationMs) => {
      verdicts(1, { decision })
      evaluationDuration(evaluationMs / 1000)
    },
    kafkaBatchWritten: (rows, writeMs) => {
      kafkaBatchRows(rows)
      kafkaBatchDuration(writeMs / 1000)
    },
    observeKafkaLag: (read) => {
      for (const meter of meters) {
        meter
          .createObservableGauge('rh.kafka.consumer.lag', {
            unit: '{message}',
            description: 'Messages of an assigned partition not yet written and committed',
          })
          .addCallback((result) => {
            for (const { topic, partition, lag } of read()) {
              result.observe(Number(lag), { topic, partition })
            }
          })
      }
    },
    httpServed: (request) =>
      httpDuration(request.durationMs / 1000, {
        server: request.server,
        'http.request.method': request.method,
        'http.route': request.route,
        'http.response.status_code': request.status,
      }),
  }
}

function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}
