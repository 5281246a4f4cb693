import { decodeTraceRequestJson } from '../../otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../otlp/decode-protobuf.ts'
import { toSpanRows, type MappingOptions } from '../../../model/to-span-rows.ts'
import type { DecodedMessage } from './message-format.ts'

/**
 * An `otlp_proto` or `otlp_json` topic message, as the OpenTelemetry Collector's kafkaexporter
 * writes trace data: one OTLP `ExportTraceServiceRequest` (TracesData, the same message on the
 * wire) per message. The decoders throw `RH_INGEST_UNDECODABLE` for bad input; the caller turns
 * that into a dead letter. A message whose spans are all invalid is a dead letter too; one with
 * some valid spans keeps them and counts the rest.
 */
export function decodeOtlpTraces(
  encoding: 'otlp_proto' | 'otlp_json',
  value: Buffer,
  mapping: MappingOptions,
): DecodedMessage {
  const request =
    encoding === 'otlp_proto' ? decodeTraceRequestProtobuf(value) : decodeTraceRequestJson(value)
  const { rows, rejected, rejectionMessage } = toSpanRows(request, mapping)
  if (rows.length === 0 && rejected > 0) {
    return {
      kind: 'poison',
      error: `${encoding}: all ${rejected} spans were rejected: ${rejectionMessage ?? 'invalid spans'}`,
    }
  }
  return { kind: 'rows', table: 'spans', rows, rejectedRows: rejected, rejection: rejectionMessage }
}
