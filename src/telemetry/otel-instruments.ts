import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Instruments } from './instruments.ts'

export interface SelfTelemetry {
  readonly instruments: Instruments
  /** Writes the Prometheus text exposition of every instrument. */
  readonly servePrometheus: (request: IncomingMessage, response: ServerResponse) => void
  readonly shutdown: () => Promise<void>
}

export interface SelfTelemetryOptions {
  readonly version: string
  /** OTLP/HTTP metrics endpoint, e.g. http://collector:4318/v1/metrics; '' = Prometheus only. */
  readonly otlpEndpoint: string
  readonly exportIntervalMs: number
}

function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
const BATCH_BUCKETS_ROWS = [10, 100, 1000, 5000, 10000, 25000, 50000, 100000]

/** Instruments on an OpenTelemetry MeterProvider, read by Prometheus and optionally OTLP. */
export function createSelfTelemetry(options: SelfTelemetryOptions): SelfTelemetry {
  const prometheus = new PrometheusExporter({ preventServerStart: true })
  const readers: MetricReader[] = [prometheus]
  if (options.otlpEndpoint !== '') {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          url: options.otlpEndpoint,
          temporalityPreference: AggregationTemporality.CUMULATIVE,
        }),
        exportIntervalMillis: options.exportIntervalMs,
      }),
    )
  }
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'release-health',
      'service.version': options.version,
    }),
    readers,
  })
  const meter = provider.getMeter('release-health')

  const spans = meter.createCounter('rh.ingest.spans', { description: 'Spans received over OTLP' })
  const requests = meter.createCounter('rh.ingest.requests', {
    description: 'OTLP requests answered',
  })
  const batchRows = meter.createHistogram('rh.writer.batch.rows', {
    description: 'Rows per written batch',
    advice: { explicitBucketBoundaries: BATCH_BUCKETS_ROWS },
  })
  const writeDuration = meter.createHistogram('rh.writer.write.duration', {
    unit: 'ms',
    description: 'Time to write one batch to ClickHouse',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  })
  const queue = meter.createObservableGauge('rh.writer.queue.rows', {
    description: 'Rows accepted and not yet written',
  })
  const verdicts = meter.createCounter('rh.verdicts', {
    description: 'Uncached verdict evaluations',
  })
  const evaluationDuration = meter.createHistogram('rh.verdict.evaluation.duration', {
    unit: 'ms',
    description: 'Time to query cohorts and judge one analysis',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  })

  const kafkaBatchDuration = meter.createHistogram('rh.kafka.batch.write.duration', {
    unit: 'ms',
    description: 'Time to write one Kafka batch (rows, dead letters, ledger) to ClickHouse',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS_MS },
  })
  const kafkaBatchRows = meter.createHistogram('rh.kafka.batch.rows', {
    description: 'Rows per written Kafka batch',
    advice: { explicitBucketBoundaries: BATCH_BUCKETS_ROWS },
  })
  const kafkaLag = meter.createObservableGauge('rh.kafka.consumer.lag', {
    unit: '{message}',
    description: 'Messages of an assigned partition not yet written and committed',
  })

  const instruments: Instruments = {
    spansReceived: (count, outcome) => spans.add(count, { outcome }),
    otlpRequest: (status) => requests.add(1, { 'http.response.status_code': status }),
    batchWritten: (rows, writeMs) => {
      batchRows.record(rows)
      writeDuration.record(writeMs)
    },
    observeQueue: (read) => queue.addCallback((result) => result.observe(read())),
    observeCounters: (prefix, read) => {
      for (const name of Object.keys(read())) {
        meter
          .createObservableCounter(`${prefix}.${toSnakeCase(name)}`)
          .addCallback((result) => result.observe(read()[name] ?? 0))
      }
    },
    verdictEvaluated: (decision, evaluationMs) => {
      verdicts.add(1, { decision })
      evaluationDuration.record(evaluationMs)
    },
    kafkaBatchWritten: (rows, writeMs) => {
      kafkaBatchRows.record(rows)
      kafkaBatchDuration.record(writeMs)
    },
    observeKafkaLag: (read) =>
      kafkaLag.addCallback((result) => {
        for (const { topic, partition, lag } of read()) {
          result.observe(Number(lag), { topic, partition })
        }
      }),
  }

  return {
    instruments,
    servePrometheus: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    shutdown: () => provider.shutdown(),
  }
}
