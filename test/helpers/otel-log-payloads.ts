import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api'
import type { AnyValueMap, LogBody, LogRecord } from '@opentelemetry/api-logs'
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs'

export interface PayloadLogSpec {
  readonly body?: LogBody
  readonly severityNumber?: number
  readonly severityText?: string
  readonly eventName?: string
  /** Hex ids of the span the record belongs to. */
  readonly traceId?: string
  readonly spanId?: string
  readonly attributes?: AnyValueMap
  /** Epoch ms; defaults to now. */
  readonly timestampMs?: number
}

export interface LogsPayload {
  /** The body an OTLP/HTTP protobuf log exporter (and the gRPC one) sends. */
  readonly protobuf: Uint8Array
  readonly json: string
}

/** Emits the records through the logs SDK and serializes them with its OTLP serializers. */
export function buildLogsPayload(spec: {
  readonly service: string
  readonly release: string
  readonly environment?: string
  readonly logs: readonly PayloadLogSpec[]
}): LogsPayload {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': spec.service,
      'service.version': spec.release,
      'deployment.environment.name': spec.environment ?? 'production',
    }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  })
  const logger = provider.getLogger('payloads')
  for (const log of spec.logs) {
    const record: LogRecord = {
      timestamp: log.timestampMs ?? Date.now(),
      ...(log.body === undefined ? {} : { body: log.body }),
      ...(log.severityNumber === undefined ? {} : { severityNumber: log.severityNumber }),
      ...(log.severityText === undefined ? {} : { severityText: log.severityText }),
      ...(log.eventName === undefined ? {} : { eventName: log.eventName }),
      ...(log.attributes === undefined ? {} : { attributes: log.attributes }),
    }
    const spanContext =
      log.traceId === undefined || log.spanId === undefined
        ? undefined
        : { traceId: log.traceId, spanId: log.spanId, traceFlags: TraceFlags.SAMPLED }
    logger.emit(
      spanContext === undefined
        ? record
        : { ...record, context: trace.setSpanContext(ROOT_CONTEXT, spanContext) },
    )
  }
  const records = exporter.getFinishedLogRecords()
  const protobuf = ProtobufLogsSerializer.serializeRequest(records)
  const json = JsonLogsSerializer.serializeRequest(records)
  if (protobuf === undefined || json === undefined)
    throw new Error('the OTel serializer returned nothing')
  return { protobuf, json: new TextDecoder().decode(json) }
}
