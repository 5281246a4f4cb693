import type { MappingOptions, MapSpansOptions } from '../../model/map-spans.ts'
import { mapMetrics } from '../../model/map-metrics.ts'
import type { MapMetricsResult } from '../../model/metric-rules.ts'
import {
  createMetricPointsChunkBuilder,
  type MetricPointsChunk,
} from '../../store/metric-points-block.ts'
import { decodeMetricsToColumns } from './decode-metrics-columnar.ts'
import { decodeMetricsRequestJson } from './decode-metrics-json.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { toUtf8 } from './read-body.ts'

/** About what a data point with a few attributes and buckets takes on the wire. */
const PROTOBUF_BYTES_PER_POINT = 250
const JSON_BYTES_PER_POINT = 700

/** One export request's accepted data points as a `metric_points` chunk, and what was refused. */
export interface DecodedMetrics {
  readonly chunk: MetricPointsChunk
  readonly result: MapMetricsResult
}

/**
 * Decodes an ExportMetricsServiceRequest (already decompressed) into a `metric_points` chunk:
 * protobuf from the wire straight into columns; JSON, parsed into objects anyway, mapped from
 * them by the same rules. Pure and synchronous, so that it can run on a decoding thread.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` for a body that cannot be decoded.
 */
export function decodeMetrics(
  body: Uint8Array,
  encoding: OtlpEncoding,
  mapping: MappingOptions,
  options: MapSpansOptions,
): DecodedMetrics {
  const builder = createMetricPointsChunkBuilder(
    body.byteLength / (encoding === 'json' ? JSON_BYTES_PER_POINT : PROTOBUF_BYTES_PER_POINT),
  )
  const result =
    encoding === 'json'
      ? mapMetrics(decodeMetricsRequestJson(toUtf8(body)), mapping, builder, options)
      : decodeMetricsToColumns(body, mapping, builder, options)
  return { chunk: builder.finish(), result }
}
