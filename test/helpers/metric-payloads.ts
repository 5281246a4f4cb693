/**
 * Builds real OTLP metric payloads with the OpenTelemetry JS metrics SDK and its own
 * serializers, so that decoders are tested against what SDKs send.
 */
import type { Attributes } from '@opentelemetry/api'
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'

/** A reader that exports nothing: the test collects from it. */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

export interface MetricPayloadSpec {
  readonly resource: Attributes
  readonly temporality: 'cumulative' | 'delta'
  /** Histograms as exponential histograms instead of explicit buckets. */
  readonly exponential?: boolean
  /** Records measurements on the meter; called before the collection. */
  readonly record: (meter: ReturnType<MeterProvider['getMeter']>) => void
}

export interface MetricPayload {
  readonly protobuf: Uint8Array
  readonly json: string
  readonly resourceMetrics: ResourceMetrics
}

/** Records with the SDK, collects once, and serializes with the SDK's OTLP serializers. */
export async function buildMetricPayload(spec: MetricPayloadSpec): Promise<MetricPayload> {
  const reader = new CollectingReader({
    aggregationTemporalitySelector: (type) =>
      spec.temporality === 'delta' &&
      type !== InstrumentType.UP_DOWN_COUNTER &&
      type !== InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
        ? AggregationTemporality.DELTA
        : AggregationTemporality.CUMULATIVE,
    aggregationSelector: (type) =>
      spec.exponential === true && type === InstrumentType.HISTOGRAM
        ? { type: AggregationType.EXPONENTIAL_HISTOGRAM }
        : { type: AggregationType.DEFAULT },
  })
  const provider = new MeterProvider({
    resource: resourceFromAttributes(spec.resource),
    readers: [reader],
  })
  spec.record(provider.getMeter('checkout-handler', '1.2.3'))
  const { resourceMetrics } = await reader.collect()
  await provider.shutdown()
  return {
    resourceMetrics,
    protobuf: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!,
    json: new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
  }
}
