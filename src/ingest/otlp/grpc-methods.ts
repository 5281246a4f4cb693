import type { OtlpSignal } from './encode-response.ts'
import type { OtlpIngest } from './otlp-ingest.ts'

/** One OTLP/gRPC export service: its full name, its signal, the ingest method it feeds. */
export interface GrpcExportMethod {
  /** e.g. `opentelemetry.proto.collector.trace.v1.TraceService`; the method is `Export`. */
  readonly service: string
  readonly signal: OtlpSignal
  readonly export: (ingest: OtlpIngest) => OtlpIngest['exportTraces']
}

/**
 * The OTLP/gRPC services served (opentelemetry-proto `collector/<signal>/v1/*_service.proto`),
 * one entry each: serving another signal is one more entry, e.g.
 * `{ service: 'opentelemetry.proto.collector.metrics.v1.MetricsService', signal: 'metrics',
 * export: (ingest) => ingest.exportMetrics.bind(ingest) }`. Any other method is answered UNIMPLEMENTED.
 */
export const OTLP_GRPC_METHODS: readonly GrpcExportMethod[] = [
  {
    service: 'opentelemetry.proto.collector.trace.v1.TraceService',
    signal: 'traces',
    export: (ingest) => ingest.exportTraces.bind(ingest),
  },
  {
    service: 'opentelemetry.proto.collector.logs.v1.LogsService',
    signal: 'logs',
    export: (ingest) => ingest.exportLogs.bind(ingest),
  },
]

export function toMethodPath(method: GrpcExportMethod): string {
  return `/${method.service}/Export`
}
