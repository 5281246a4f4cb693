import { silentLogger, type Logger } from '../../logger.ts'
import { noopInstruments, type Instruments } from '../../telemetry/instruments.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import { mapSpans, type MappingOptions } from '../../model/map-spans.ts'
import { retentionCutoffNs } from '../../model/retention.ts'
import { createSpansChunkBuilder, type SpansChunk } from '../../store/spans-block.ts'
import { decodeTraceRequestJson } from './decode-json.ts'
import { decodeTracesToColumns } from './decode-traces-columnar.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { toUtf8 } from './read-body.ts'

/** What became of one export request: OTLP's `partial_success` when `rejected > 0`. */
export interface ExportOutcome {
  readonly accepted: number
  readonly rejected: number
  /** Why the first rejected item was rejected, naming it and where it was in the request. */
  readonly rejectionMessage: string | undefined
}

/**
 * The one path every OTLP door (HTTP, gRPC) hands its bytes to: decode, map to rows, write.
 * Resolves once the accepted items are stored; throws an `RhError` for a request that cannot
 * be taken at all (undecodable, saturated, shutting down).
 */
export interface OtlpIngest {
  /** An ExportTraceServiceRequest, already decompressed. */
  exportTraces(body: Uint8Array, encoding: OtlpEncoding): Promise<ExportOutcome>
}

export interface OtlpIngestOptions {
  readonly writer: BatchWriter<SpansChunk>
  readonly mapping: MappingOptions
  /** Spans older than this are rejected: the store would drop them (clickhouse.ttlDays). */
  readonly retentionDays: number
  readonly instruments?: Instruments
  readonly now?: () => number
  readonly logger?: Logger
}

export function createOtlpIngest(options: OtlpIngestOptions): OtlpIngest {
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const instruments = options.instruments ?? noopInstruments

  return {
    async exportTraces(body, encoding) {
      const chunk = createSpansChunkBuilder()
      const mapSpansOptions = {
        retentionCutoffNs: retentionCutoffNs({ nowMs: now(), ttlDays: options.retentionDays }),
        retentionDays: options.retentionDays,
      }
      // Protobuf goes from the wire straight into columns; JSON, parsed into objects anyway,
      // is mapped from them by the same rules.
      const { accepted, rejected, rejectionMessage } =
        encoding === 'json'
          ? mapSpans(decodeTraceRequestJson(toUtf8(body)), options.mapping, chunk, mapSpansOptions)
          : decodeTracesToColumns(body, options.mapping, chunk, mapSpansOptions)
      await options.writer.write(chunk.finish())
      instruments.spansReceived(accepted, 'accepted')
      if (rejected > 0) {
        instruments.spansReceived(rejected, 'rejected')
        logger.warn({ accepted, rejected, reason: rejectionMessage }, 'otlp spans rejected')
      }
      return { accepted, rejected, rejectionMessage }
    },
  }
}
