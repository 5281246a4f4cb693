import type { IncomingMessage, ServerResponse } from 'node:http'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { Resource } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  type CollectionResult,
  type MetricProducer,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics'
import { ValueType, type HrTime, type Meter } from '@opentelemetry/api'
import { HISTOGRAMS, type HistogramKey } from './otel-instruments.ts'

export interface PrometheusMetrics {
  readonly meter: Meter
  /** Tells the exposition that a histogram has data now, so its zero series is dropped. */
  readonly histogramRecorded: (key: HistogramKey) => void
  /** Writes the Prometheus text exposition of every instrument. */
  readonly serve: (request: IncomingMessage, response: ServerResponse) => void
  readonly shutdown: () => Promise<void>
}

/**
 * The Prometheus side of release-health's own metrics, for `GET /metrics`, by Prometheus
 * conventions: durations in seconds with `_seconds` (this exporter appends no unit, so the
 * histograms measured in seconds are renamed by a view here, while OTLP keeps the
 * OpenTelemetry names), counters with `_total`, and every series present from the start —
 * counters start at 0 (see `createOtelInstruments`), and a histogram without observations yet
 * is exposed with zero counts, as Prometheus client libraries do.
 */
export function createPrometheusMetrics(options: { resource: Resource }): PrometheusMetrics {
  const recorded = new Set<HistogramKey>()
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    metricProducers: [createZeroHistograms(recorded)],
  })
  const provider = new MeterProvider({
    resource: options.resource,
    readers: [exporter],
    views: secondsViews(),
  })
  return {
    meter: provider.getMeter('release-health'),
    histogramRecorded: (key) => recorded.add(key),
    serve: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => provider.shutdown(),
  }
}

/** `rh.writer.write.duration` (unit s) is exposed as `rh_writer_write_duration_seconds`. */
export function prometheusName(key: HistogramKey): string {
  const { name, unit } = HISTOGRAMS[key]
  return unit === 's' ? `${name}.seconds` : name
}

function secondsViews(): ViewOptions[] {
  return (Object.keys(HISTOGRAMS) as HistogramKey[])
    .filter((key) => HISTOGRAMS[key].unit === 's')
    .map((key) => ({ instrumentName: HISTOGRAMS[key].name, name: prometheusName(key) }))
}

/**
 * Empty histograms for the unlabelled histograms nothing was recorded in yet: the SDK only
 * exposes a histogram after its first value, and a series that appears late breaks `rate()`
 * and alerts on its absence.
 */
function createZeroHistograms(recorded: ReadonlySet<HistogramKey>): MetricProducer {
  const startTime = hrTime(Date.now())
  return {
    collect: (): Promise<CollectionResult> => {
      const pending = (Object.keys(HISTOGRAMS) as HistogramKey[]).filter(
        (key) => !HISTOGRAMS[key].labelled && !recorded.has(key),
      )
      const endTime = hrTime(Date.now())
      return Promise.resolve({
        errors: [],
        resourceMetrics: {
          resource: undefined as unknown as Resource,
          scopeMetrics: [
            {
              scope: { name: 'release-health' },
              metrics: pending.map((key) => ({
                descriptor: {
                  name: prometheusName(key),
                  description: HISTOGRAMS[key].description,
                  unit: HISTOGRAMS[key].unit,
                  valueType: ValueType.DOUBLE,
                },
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                dataPointType: DataPointType.HISTOGRAM,
                dataPoints: [
                  {
                    startTime,
                    endTime,
                    attributes: {},
                    value: {
                      buckets: {
                        boundaries: [...HISTOGRAMS[key].boundaries],
                        counts: HISTOGRAMS[key].boundaries.map(() => 0).concat(0),
                      },
                      sum: 0,
                      count: 0,
                    },
                  },
                ],
              })),
            },
          ],
        },
      })
    },
  }
}

function hrTime(epochMs: number): HrTime {
  return [Math.floor(epochMs / 1000), (epochMs % 1000) * 1e6]
}
