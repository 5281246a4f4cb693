import { decodeTraceRequestJson } from '../../otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../otlp/decode-protobuf.ts'
import { toSpanRows, type MappingOptions } from '../../../model/to-span-rows.ts'
import { extractSpanItem } from './extract-span-item.ts'
import type { DecodedMessage } from './message-format.ts'

/**
 * An `otlp_proto` or `otlp_json` topic message, as the OpenTelemetry Collector's kafkaexporter
 * writes trace data: one OTLP `ExportTraceServiceRequest` (TracesData, the same message on the
 * wire) per message. The decoders throw `RH_INGEST_UNDECODABLE` for bad input; the caller turns
 * that into a dead letter. A message whose spans are all invalid is a dead letter too; one with
 * some valid spans keeps them, and each invalid span becomes a dead letter of its own holding
 * that span alone (with its resource and scope) and the reason.
 */
export function decodeOtlpTraces(
  encoding: 'otlp_proto' | 'otlp_json',
  value: Buffer,
  mapping: MappingOptions,
): DecodedMessage {
  const request =
    encoding === 'otlp_proto' ? decodeTraceRequestProtobuf(value) : decodeTraceRequestJson(value)
  const { rows, rejected, rejectionMessage, rejections } = toSpanRows(request, mapping)
  if (rows.length === 0 && rejected > 0) {
    return {
      kind: 'poison',
      error: `${encoding}: all ${rejected} spans were rejected: ${rejectionMessage ?? 'invalid spans'}`,
    }
  }
  return {
    kind: 'rows',
    table: 'spans',
    rows,
    rejectedItems: rejections.map((rejection) => ({
      index: rejection.index,
      reason: `${encoding}: ${rejection.message}`,
      payload: extractSpanItem(encoding, value, rejection) ?? null,
    })),
  }
}
