import type { FastifyInstance } from 'fastify'
import type { Config } from './config/defaults.ts'
import { silentLogger, type Logger } from './logger.ts'
import { createApiServer } from './api/api-server.ts'
import { toBoundUrl } from './http/bound-url.ts'
import { createSelfTelemetry, type OtelProviders } from './telemetry/self-telemetry.ts'
import { inSpan, traceRequests, traceStore } from './telemetry/tracing.ts'
import { createKafkaIngest, type KafkaIngest } from './ingest/kafka/index.ts'
import { toMappingOptions } from './model/to-span-rows.ts'
import { parseTokens } from './api/auth.ts'
import { createAdmission } from './ingest/admission.ts'
import { createDecodePool } from './ingest/otlp/decode-pool.ts'
import { createOtlpHttpReceiver } from './ingest/otlp/http-receiver.ts'
import { createOtlpGrpcReceiver, type OtlpGrpcReceiver } from './ingest/otlp/grpc-receiver.ts'
import { createFlagEvaluationLinker } from './store/flag-evaluation-linker.ts'
import { encodeLogsBlock, LOG_COLUMNS, type LogsChunk } from './store/logs-block.ts'
import { createAnalysesRepository } from './store/analyses-repository.ts'
import { createBatchWriter } from './store/batch-writer.ts'
import { insertEncoded } from './store/insert-rows.ts'
import { encodeSpansBlock, type SpansChunk } from './store/spans-block.ts'
import {
  encodeMetricPointsBlock,
  METRIC_POINT_COLUMNS,
  type MetricPointsChunk,
} from './store/metric-points-block.ts'
import { ByteSink } from './store/native/byte-sink.ts'
import { TABLE_COLUMNS } from './store/table-columns.ts'
import { isSchemaCurrent, migrate } from './store/migrate.ts'
import { assertReachable, createStore, type Store } from './store/store-client.ts'
import { createStoreCohortSource } from './store/store-cohort-source.ts'
import { toConfiguredSpanSource } from './store/otel-traces.ts'
import { createSpanSources } from './store/span-sources.ts'
import { createStoreSeriesSource } from './store/series-queries.ts'
import { createVerdictService, DEFAULT_MAX_LATENCY_SAMPLES } from './verdicts/verdict-service.ts'
import { createSqlConsole } from './store/read-only-sql.ts'
import { createStoreFrozenMinutes } from './store/frozen-minutes-repository.ts'
import { createPolicyTemplates, NO_TEMPLATES } from './verdicts/policy-templates.ts'
import { createBlastRadius } from './verdicts/blast-radius.ts'
import { createStoreBlastRadiusSource } from './store/blast-radius-queries.ts'
import { createStoreBlastRadiusMinutes } from './store/blast-radius-repository.ts'
import { createCanaryEvidence } from './verdicts/canary-evidence.ts'
import { createTrainService } from './verdicts/train-service.ts'
import { createTrainsRepository } from './store/trains-repository.ts'
import { createStoreOverviewSource } from './store/overview-queries.ts'
import { createSloLookup } from './verdicts/release-overview.ts'

export interface StartAppOptions {
  readonly config: Config
  readonly logger?: Logger
  readonly now?: () => number
  readonly version?: string
  /** The OpenTelemetry SDK's providers, when the CLI started one from OTEL_* variables. */
  readonly otel?: OtelProviders | undefined
}

export interface RunningApp {
  readonly store: Store
  /** Base URLs the servers listen on, e.g. http://127.0.0.1:4318 (port 0 picks a free one). */
  readonly otlpHttpUrl: string | undefined
  /** e.g. http://127.0.0.1:4317, https:// with TLS; undefined when otlp.grpc is off. */
  readonly otlpGrpcUrl: string | undefined
  readonly apiUrl: string
  /** Stops accepting, writes every accepted span, closes the store. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Everything `serve` runs, wired together: the store (migrated), the group-commit writers (spans,
 * logs), the OTLP/gRPC and OTLP/HTTP receivers, the flag-evaluation linker and the API. Fails
 * before listening when the store is unreachable.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const { config } = options
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const tokens = parseTokens(config.auth.tokens)
  if (tokens.length === 0) {
    logger.warn(
      {},
      'authentication is off: no auth.tokens configured (RH_AUTH_TOKENS); anyone who can reach the ports can write and read',
    )
  }
  const telemetry = createSelfTelemetry({ version: options.version ?? '0.0.0', otel: options.otel })
  const { instruments, tracer } = telemetry
  const store = traceStore(createStore(config.clickhouse), tracer)
  const servers: FastifyInstance[] = []
  const closers: (() => void)[] = []
  try {
    await assertReachable(store)
    const spanSource = toConfiguredSpanSource(store.database, config)
    await migrate({
      store,
      ttlDays: config.clickhouse.ttlDays,
      logger,
      configured: spanSource.statements,
      cluster: config.clickhouse.cluster,
    })

    /**
     * A group-commit writer of `table`, one Native block per batch, with the writer settings.
     * `countBatches`: its batches feed the writer's batch metrics (spans and metric points).
     */
    const nativeWriter = <Chunk extends { readonly rows: number }>(
      table: string,
      columns: readonly string[],
      encode: (chunks: readonly Chunk[]) => Uint8Array,
      countBatches: boolean,
    ) =>
      createBatchWriter<Chunk>({
        writeBatch: (chunks, deduplicationToken) => {
          const rows = chunks.reduce((sum, chunk) => sum + chunk.rows, 0)
          return inSpan(
            tracer,
            `write ${table} batch`,
            { attributes: { 'rh.batch.rows': rows } },
            () =>
              insertEncoded(store, {
                table,
                columns,
                format: 'Native',
                body: encode(chunks),
                rows,
                deduplicationToken,
              }),
          )
        },
        rowsOf: (chunk) => chunk.rows,
        maxBatchRows: config.writer.maxBatchRows,
        flushIntervalMs: config.writer.flushIntervalMs,
        minBatchRows: config.writer.minBatchRows,
        maxBatchDelayMs: config.writer.maxBatchDelayMs,
        maxQueuedRows: config.writer.maxQueuedRows,
        logger,
        ...(countBatches ? { onBatchWritten: instruments.batchWritten } : {}),
      })
    // Each writer inserts one block at a time: the spans writer encodes each into one buffer.
    const blockSink = new ByteSink()
    const writer = nativeWriter<SpansChunk>(
      'spans',
      TABLE_COLUMNS.spans,
      (chunks) => encodeSpansBlock(chunks, blockSink),
      true,
    )
    const logsWriter = nativeWriter<LogsChunk>('logs', LOG_COLUMNS, encodeLogsBlock, false)
    const metricsWriter = nativeWriter<MetricPointsChunk>(
      'metric_points',
      METRIC_POINT_COLUMNS,
      encodeMetricPointsBlock,
      true,
    )
    instruments.observeQueue(
      () => writer.queuedRows + logsWriter.queuedRows + metricsWriter.queuedRows,
    )
    const linker = createFlagEvaluationLinker({
      store,
      intervalMs: config.otlp.flagEvaluations.linkIntervalMs,
      spanWaitMs: config.otlp.flagEvaluations.spanWaitMs,
      now,
      logger,
    })
    linker.start()
    closers.push(() => void linker.stop())

    const decodePool = createDecodePool({ threads: config.otlp.decodeThreads })
    closers.push(() => void decodePool.close())
    const admission = createAdmission({
      maxInFlightBytes: config.otlp.maxInFlightBytes,
      maxConcurrentDecodes: config.otlp.maxConcurrentDecodes,
      minInFlightBytes: config.otlp.http.maxBodyBytes,
      targetLatencyMs: config.otlp.targetLatencyMs,
    })
    const ingestOptions = {
      writer,
      logsWriter,
      metricsWriter,
      admission,
      decodePool,
      mapping: toMappingOptions(config),
      retentionDays: config.clickhouse.ttlDays,
      tokens,
      instruments,
      now,
      logger,
    }
    let otlpGrpcUrl: string | undefined
    let grpcReceiver: OtlpGrpcReceiver | undefined
    if (config.otlp.grpc.enabled) {
      grpcReceiver = createOtlpGrpcReceiver({
        ...ingestOptions,
        maxMessageBytes: config.otlp.grpc.maxMessageBytes,
        tlsCertFile: config.otlp.grpc.tlsCertFile,
        tlsKeyFile: config.otlp.grpc.tlsKeyFile,
      })
      const grpc = grpcReceiver
      closers.push(() => void grpc.close(0))
      otlpGrpcUrl = await grpcReceiver.listen({
        host: config.otlp.grpc.host,
        port: config.otlp.grpc.port,
      })
      logger.info(
        { url: otlpGrpcUrl },
        'OTLP/gRPC receiver listening (TraceService/Export, LogsService/Export)',
      )
    }
    let otlpHttpUrl: string | undefined
    let receiver: FastifyInstance | undefined
    if (config.otlp.http.enabled) {
      receiver = createOtlpHttpReceiver({
        ...ingestOptions,
        grpcClientMessage:
          otlpGrpcUrl === undefined
            ? 'this is the OTLP/HTTP port (POST /v1/traces, /v1/logs, /v1/metrics); OTLP/gRPC is turned off here (otlp.grpc.enabled)'
            : `this is the OTLP/HTTP port (POST /v1/traces, /v1/logs, /v1/metrics); send OTLP/gRPC to port ${new URL(otlpGrpcUrl).port}`,
        maxBodyBytes: config.otlp.http.maxBodyBytes,
      })
      servers.push(receiver)
      traceRequests(receiver, { tracer, instruments, server: 'otlp' })
      otlpHttpUrl = await receiver.listen({
        host: config.otlp.http.host,
        port: config.otlp.http.port,
      })
      logger.info(
        { url: toBoundUrl(receiver) },
        'OTLP/HTTP receiver listening (POST /v1/traces, /v1/logs, /v1/metrics)',
      )
    }

    const templates =
      config.policies.dir === ''
        ? NO_TEMPLATES
        : createPolicyTemplates({ dir: config.policies.dir, logger })
    closers.push(() => templates.close())
    const spanSources = createSpanSources({ store, config, logger })
    const blastRadius = createBlastRadius({
      source: createStoreBlastRadiusSource(store, spanSources),
      store: createStoreBlastRadiusMinutes(store),
      logger,
    })
    const analyses = createAnalysesRepository(store)
    const verdicts = createVerdictService({
      repository: analyses,
      cohorts: createStoreCohortSource(store, logger, spanSources),
      sources: spanSources.available,
      now,
      logger,
      cacheMs: config.api.verdictCacheMs,
      ingestLagMs: config.api.ingestLagMs,
      frozenMinutes: createStoreFrozenMinutes(store),
      templates,
      instruments,
      blastRadius,
    })
    const trains = createTrainService({
      trains: createTrainsRepository(store),
      audit: analyses,
      evidence: createCanaryEvidence({
        cohorts: createStoreCohortSource(store, logger, spanSources),
        now,
        logger,
        ingestLagMs: config.api.ingestLagMs,
        maxLatencySamples: DEFAULT_MAX_LATENCY_SAMPLES,
        maxKeys: 10_000,
        frozenMinutes: createStoreFrozenMinutes(store),
        blastRadius,
      }),
      now,
      ingestLagMs: config.api.ingestLagMs,
      logger,
      templates,
      cacheMs: config.api.verdictCacheMs,
      sources: spanSources.available,
    })
    const sql = config.sql.enabled
      ? createSqlConsole({ clickhouse: config.clickhouse, limits: config.sql })
      : undefined
    if (sql !== undefined) closers.push(() => void sql.close())
    const api = await createApiServer({
      sql,
      verdicts,
      series: createStoreSeriesSource(store, spanSources),
      trains,
      blastRadius,
      overview: {
        source: createStoreOverviewSource(store, spanSources),
        sloOf: createSloLookup(templates),
        now,
      },
      logger,
      version: options.version ?? '0.0.0',
      tokens,
      servePrometheus: telemetry.servePrometheus,
      isReady: async () =>
        (await isSchemaCurrent(store))
          ? { ready: true }
          : {
              ready: false,
              reason: `the store (${store.location}) is unreachable or not migrated`,
            },
    })
    servers.push(api)
    traceRequests(api, { tracer, instruments, server: 'api' })
    const apiUrl = await api.listen({ host: config.api.host, port: config.api.port })
    logger.info({ url: toBoundUrl(api), store: store.location }, 'API listening')

    let kafka: KafkaIngest | undefined
    if (config.kafka.brokers.length > 0) {
      kafka = createKafkaIngest({
        store,
        config: config.kafka,
        mapping: toMappingOptions(config),
        logger,
        instruments,
      })
      await kafka.start()
      const ingest = kafka
      instruments.observeCounters('rh.kafka', () => ingest.metrics())
      logger.info(
        { brokers: config.kafka.brokers, topics: config.kafka.topics },
        'Kafka workers consuming',
      )
    }

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        logger.info({ queuedRows: writer.queuedRows }, 'shutting down: writing accepted spans')
        // Order matters: the receiver's close waits for in-flight requests, which wait for
        // their rows to be written, so the writer drains first; once no request can arrive,
        // the writer closes with nothing left behind.
        // Kafka first: it commits only what it has written, so stopping it loses nothing.
        await kafka?.stop()
        writer.drain()
        logsWriter.drain()
        metricsWriter.drain()
        await Promise.all([receiver?.close(), grpcReceiver?.close()])
        await writer.close()
        await logsWriter.close()
        await metricsWriter.close()
        await linker.stop()
        await api.close()
        for (const close of closers) close()
        await store.close()
        await telemetry.shutdown()
        logger.info({}, 'stopped')
      })())
    return { store, otlpHttpUrl, otlpGrpcUrl, apiUrl, stop }
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.close()))
    for (const close of closers) close()
    await store.close()
    await telemetry.shutdown()
    throw error
  }
}
