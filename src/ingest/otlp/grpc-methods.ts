import type { OtlpSignal } from './encode-response.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import type { OtlpIngest, OtlpIngestOptions } from './otlp-ingest.ts'

/** One OTLP/gRPC export service: its full name, its signal, the ingest method it feeds. */
export interface GrpcExportMethod {
  /** e.g. `opentelemetry.proto.collector.trace.v1.TraceService`; the method is `Export`. */
  readonly service: string
  readonly signal: OtlpSignal
  readonly export: (ingest: OtlpIngest) => OtlpIngest['exportTraces']
  /** The writer its rows go to: a call is refused before its message while it is full. */
  readonly writer: (
    options: OtlpIngestOptions,
  ) => Pick<BatchWriter<never>, 'isSaturated' | 'queuedRows'> | undefined
}

/**
 * The OTLP/gRPC services served (opentelemetry-proto `collector/<signal>/v1/*_service.proto`),
 * one entry each: serving another signal is one more entry. Any other method is answered
 * UNIMPLEMENTED.
 */
export const OTLP_GRPC_METHODS: readonly GrpcExportMethod[] = [
  {
    service: 'opentelemetry.proto.collector.trace.v1.TraceService',
    signal: 'traces',
    export: (ingest) => ingest.exportTraces.bind(ingest),
    writer: (options) => options.writer,
  },
  {
    service: 'opentelemetry.proto.collector.logs.v1.LogsService',
    signal: 'logs',
    export: (ingest) => ingest.exportLogs.bind(ingest),
    writer: (options) => options.logsWriter,
  },
  {
    service: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
    signal: 'metrics',
    export: (ingest) => ingest.exportMetrics.bind(ingest),
    writer: (options) => options.metricsWriter,
  },
]

export function toMethodPath(method: GrpcExportMethod): string {
  return `/${method.service}/Export`
}
