import type { MappingOptions } from '../../../model/map-spans.ts'
import { decodeMetrics } from '../../otlp/decode-metrics.ts'
import type { DecodedMessage } from './message-format.ts'

/**
 * An `otlp_metrics_proto` or `otlp_metrics_json` topic message, as the OpenTelemetry
 * Collector's kafkaexporter writes metric data (encoding `otlp_proto` or `otlp_json` on its
 * metrics topic): one OTLP `ExportMetricsServiceRequest` (MetricsData, the same message on the
 * wire) per message, decoded by the OTLP/HTTP receiver's decoders into `metric_points` rows.
 * The decoders throw `RH_INGEST_UNDECODABLE` for bad input; the caller turns that into a dead
 * letter. A message whose points are all refused is a dead letter too; one with some valid
 * points keeps them, and each refused point becomes a dead letter of its own with the reason
 * (naming the point and its path in the message) and no payload: a point is not cut out of
 * its message, whose bytes stay in the topic.
 */
export function decodeOtlpMetrics(
  encoding: 'otlp_proto' | 'otlp_json',
  value: Buffer,
  mapping: MappingOptions,
): DecodedMessage {
  const { chunk, result } = decodeMetrics(
    value,
    encoding === 'otlp_proto' ? 'protobuf' : 'json',
    mapping,
    {},
  )
  const { rejected, rejectionMessage, rejections } = result
  if (chunk.rows === 0 && rejected > 0) {
    return {
      kind: 'poison',
      error: `${encoding} metrics: all ${rejected} data points were rejected: ${rejectionMessage ?? 'invalid data points'}`,
    }
  }
  return {
    kind: 'rows',
    table: 'metric_points',
    chunk,
    rejectedItems: rejections.map((rejection) => ({
      index: rejection.index,
      reason: `${encoding} metrics: ${rejection.message}`,
      payload: null,
    })),
  }
}
