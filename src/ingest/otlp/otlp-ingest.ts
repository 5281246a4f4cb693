import { RhError } from '../../errors.ts'
import { silentLogger, type Logger } from '../../logger.ts'
import { noopInstruments, type Instruments } from '../../telemetry/instruments.ts'
import type { BatchWriter } from '../../store/batch-writer.ts'
import type { MappingOptions } from '../../model/map-spans.ts'
import { retentionCutoffNs } from '../../model/retention.ts'
import type { LogsChunk } from '../../store/logs-block.ts'
import type { SpansChunk } from '../../store/spans-block.ts'
import type { MetricPointsChunk } from '../../store/metric-points-block.ts'
import { createDecodePool, type DecodePool } from './decode-pool.ts'
import type { BodyCompression } from './content-encoding.ts'
import type { OtlpEncoding } from './encode-response.ts'

/** What became of one export request: OTLP's `partial_success` when `rejected > 0`. */
export interface ExportOutcome {
  readonly accepted: number
  readonly rejected: number
  /** Why the first rejected item was rejected, naming it and where it was in the request. */
  readonly rejectionMessage: string | undefined
}

/**
 * The one path every OTLP door (HTTP, gRPC) hands its bytes to: decode, map to rows, write.
 * Each method resolves once the accepted items are stored; throws an `RhError` for a request
 * that cannot be taken at all (undecodable, saturated, shutting down, a signal not served).
 * `onDecoded` is called once the body is decoded, before the rows are written (a door lets
 * the next request decode then).
 */
export interface OtlpIngest {
  /** An ExportTraceServiceRequest; `compression` says how it is compressed, if it is. */
  exportTraces(
    body: Uint8Array,
    encoding: OtlpEncoding,
    onDecoded?: () => void,
    compression?: BodyCompression,
  ): Promise<ExportOutcome>
  /** An ExportLogsServiceRequest, as {@link exportTraces} takes one. */
  exportLogs(
    body: Uint8Array,
    encoding: OtlpEncoding,
    onDecoded?: () => void,
    compression?: BodyCompression,
  ): Promise<ExportOutcome>
  /**
   * An ExportMetricsServiceRequest, as {@link exportTraces} takes one: its data points are
   * decoded, mapped and written like spans; `rejected` counts refused data points.
   */
  exportMetrics(
    body: Uint8Array,
    encoding: OtlpEncoding,
    onDecoded?: () => void,
    compression?: BodyCompression,
  ): Promise<ExportOutcome>
}

export interface OtlpIngestOptions {
  readonly writer: BatchWriter<SpansChunk>
  /** Where log records go; without one, logs are answered as not served. */
  readonly logsWriter?: BatchWriter<LogsChunk> | undefined
  /** Writes metric data points (`metric_points`); doors offer metrics only with one. */
  readonly metricsWriter?: BatchWriter<MetricPointsChunk>
  readonly mapping: MappingOptions
  /** Items older than this are rejected: the store would drop them (clickhouse.ttlDays). */
  readonly retentionDays: number
  /** Where requests are decoded; default: on the calling thread. */
  readonly decodePool?: DecodePool
  readonly instruments?: Instruments
  readonly now?: () => number
  readonly logger?: Logger
}

const NS_PER_MS = 1_000_000n

export function createOtlpIngest(options: OtlpIngestOptions): OtlpIngest {
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const instruments = options.instruments ?? noopInstruments
  const pool = options.decodePool ?? createDecodePool({ threads: 0 })
  const retention = () => ({
    retentionCutoffNs: retentionCutoffNs({ nowMs: now(), ttlDays: options.retentionDays }),
    retentionDays: options.retentionDays,
  })

  return {
    async exportTraces(body, encoding, onDecoded, compression) {
      const decoded = await pool.decode(
        'traces',
        body,
        encoding,
        options.mapping,
        retention(),
        compression,
      )
      onDecoded?.()
      const { accepted, rejected, rejectionMessage } = decoded.result
      try {
        await options.writer.write(decoded.chunk)
      } finally {
        // Written or refused, the writer holds the chunk no more.
        pool.release(decoded)
      }
      instruments.spansReceived(accepted, 'accepted')
      if (rejected > 0) {
        instruments.spansReceived(rejected, 'rejected')
        logger.warn({ accepted, rejected, reason: rejectionMessage }, 'otlp spans rejected')
      }
      return { accepted, rejected, rejectionMessage }
    },

    async exportLogs(body, encoding, onDecoded, compression) {
      const writer = options.logsWriter
      if (writer === undefined) {
        throw new RhError('RH_INGEST_NOT_SERVED', 'this receiver does not store logs')
      }
      const receivedAtNs = BigInt(Math.floor(now())) * NS_PER_MS
      const decoded = await pool.decode(
        'logs',
        body,
        encoding,
        options.mapping,
        { ...retention(), receivedAtNs },
        compression,
      )
      onDecoded?.()
      const { accepted, rejected, rejectionMessage } = decoded.result
      try {
        await writer.write(decoded.chunk)
      } finally {
        pool.release(decoded)
      }
      if (rejected > 0) {
        logger.warn({ accepted, rejected, reason: rejectionMessage }, 'otlp log records rejected')
      }
      return { accepted, rejected, rejectionMessage }
    },

    async exportMetrics(body, encoding, onDecoded, compression) {
      const writer = options.metricsWriter
      if (writer === undefined) {
        // A door offers metrics only when it was given a writer for them.
        throw new RhError('RH_INGEST_NOT_SERVED', 'this receiver does not store metrics')
      }
      const decoded = await pool.decode(
        'metrics',
        body,
        encoding,
        options.mapping,
        retention(),
        compression,
      )
      onDecoded?.()
      const { accepted, rejected, rejectionMessage } = decoded.result
      try {
        await writer.write(decoded.chunk)
      } finally {
        pool.release(decoded)
      }
      if (rejected > 0) {
        logger.warn({ accepted, rejected, reason: rejectionMessage }, 'otlp data points rejected')
      }
      return { accepted, rejected, rejectionMessage }
    },
  }
}
