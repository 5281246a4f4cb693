import { silentLogger, type Logger } from '../../logger.ts'
import { noopInstruments, type Instruments } from '../../telemetry/instruments.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import type { SpanRow } from '../../model/span-row.ts'
import { splitExpired } from '../../model/retention.ts'
import { toSpanRows, type MappingOptions } from '../../model/to-span-rows.ts'
import { decodeTraceRequestJson } from './decode-json.ts'
import { decodeTraceRequestProtobuf } from './decode-protobuf.ts'
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
  readonly writer: BatchWriter<SpanRow>
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
      const traces =
        encoding === 'json'
          ? decodeTraceRequestJson(toUtf8(body))
          : decodeTraceRequestProtobuf(body)
      const mapped = toSpanRows(traces, options.mapping)
      const { kept: rows, expired } = splitExpired(mapped.rows, {
        nowMs: now(),
        ttlDays: options.retentionDays,
      })
      const rejected = mapped.rejected + expired
      const rejectionMessage =
        mapped.rejectionMessage ??
        (expired > 0
          ? `${expired} spans are older than the ${options.retentionDays}-day retention (clickhouse.ttlDays) and would be dropped by the store`
          : undefined)
      await options.writer.write(rows)
      instruments.spansReceived(rows.length, 'accepted')
      if (rejected > 0) {
        instruments.spansReceived(rejected, 'rejected')
        logger.warn(
          { accepted: rows.length, rejected, reason: rejectionMessage },
          'otlp spans rejected',
        )
      }
      return { accepted: rows.length, rejected, rejectionMessage }
    },
  }
}
