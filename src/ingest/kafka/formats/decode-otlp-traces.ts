import type { MappingOptions } from '../../../model/map-spans.ts'
import { decodeTraces } from '../../otlp/decode-traces.ts'
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
  const { chunk, result } = decodeTraces(
    value,
    encoding === 'otlp_proto' ? 'protobuf' : 'json',
    mapping,
    {},
  )
  const { rejected, rejectionMessage, rejections } = result
  if (chunk.rows === 0 && rejected > 0) {
    return {
      kind: 'poison',
      error: `${encoding}: all ${rejected} spans were rejected: ${rejectionMessage ?? 'invalid spans'}`,
    }
  }
  return {
    kind: 'rows',
    table: 'spans',
    chunk,
    rejectedItems: rejections.map((rejection) => ({
      index: rejection.index,
      reason: `${encoding}: ${rejection.message}`,
      payload: extractSpanItem(encoding, value, rejection) ?? null,
    })),
  }
}
