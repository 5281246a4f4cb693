/** Every setting release-health knows, with its default. The shape doubles as the schema. */
export const DEFAULT_CONFIG = {
  clickhouse: {
    /** Empty: the embedded engine (chDB) in `dataPath`. Otherwise a server, e.g. http://ch:8123. */
    url: '',
    username: 'default',
    password: '',
    database: 'release_health',
    dataPath: './data',
    requestTimeoutMs: 30_000,
    /** Raw spans older than this are dropped by ClickHouse TTL; rollups are kept 4x longer. */
    ttlDays: 30,
    /**
     * The ClickHouse cluster (its `remote_servers` name) to keep the tables on: Replicated
     * tables on every server, sharded telemetry behind Distributed tables, created ON CLUSTER
     * (docs/scaling.md). Needs `url`. '' = one server, or the embedded engine.
     */
    cluster: '',
    /**
     * Read the spans that verdicts judge from the OpenTelemetry Collector ClickHouse exporter's
     * traces table instead of those release-health ingests, read-only (docs/scaling.md).
     */
    otelTraces: {
      /** The exporter's table as `database.table`, e.g. `otel.otel_traces`; '' = off. */
      table: '',
      /**
       * With `table` set: analyses whose policy names no span table read it (true), or the
       * spans release-health ingests (false). A policy's `source: otel_traces` or
       * `source: { kind: spans, table: spans }` picks one for its analysis either way.
       */
      readByDefault: true,
    },
  },
  otlp: {
    /** host: the address to listen on; 127.0.0.1 = this machine only, 0.0.0.0 = every interface. */
    http: { enabled: true, host: '127.0.0.1', port: 4318, maxBodyBytes: 16 * 1024 * 1024 },
    /**
     * OTLP/gRPC (TraceService and LogsService Export). TLS when both files are set (PEM);
     * maxMessageBytes bounds a message compressed and decompressed.
     */
    grpc: {
      enabled: true,
      host: '127.0.0.1',
      port: 4317,
      maxMessageBytes: 16 * 1024 * 1024,
      tlsCertFile: '',
      tlsKeyFile: '',
    },
    /**
     * feature_flag.evaluation log records are linked to the spans they name by a pass every
     * linkIntervalMs; a span stored up to spanWaitMs after its evaluation still gets it.
     */
    flagEvaluations: { linkIntervalMs: 2_000, spanWaitMs: 120_000 },
    /** A span (or resource) with more attributes than this is rejected as absurd (partial success). */
    maxAttributesPerSpan: 512,
    /**
     * Bytes of request bodies admitted and not yet answered, over all OTLP doors; a request
     * that does not fit is refused at once with 429 and Retry-After, before its body is read.
     */
    maxInFlightBytes: 64 * 1024 * 1024,
    /** Requests decoded at once; admitted ones wait their turn. */
    maxConcurrentDecodes: 2,
    /**
     * How long an admitted request should take to be answered: the in-flight budget shrinks
     * when answers take longer and grows back while they are quick (never below one body of
     * otlp.http.maxBodyBytes), so a busy machine refuses more instead of answering late.
     */
    targetLatencyMs: 2_000,
    /** Worker threads that decode requests; 0 = on the main thread. */
    decodeThreads: 1,
  },
  api: {
    /** The address to listen on: this machine only by default; 0.0.0.0 = every interface. */
    host: '127.0.0.1',
    port: 8080,
    /** How long a verdict is reused for the same analysis and data watermark. */
    verdictCacheMs: 2_000,
    /**
     * Ingest-lag allowance: the judge uses a minute only once it ended this long ago, and then
     * freezes it; spans arriving later for it are reported as late data, not tested.
     */
    ingestLagMs: 30_000,
  },
  auth: {
    /**
     * Bearer tokens as `scopes:token`, scopes joined by `+` from ingest, read, admin, query, e.g.
     * `read:3f9a...` or `ingest+read:...`. Empty: no authentication (serve warns).
     */
    tokens: [] as string[],
  },
  writer: {
    /** A group-commit batch is written when it holds this many rows... */
    maxBatchRows: 50_000,
    /** ...or when its oldest row has waited this long... */
    flushIntervalMs: 200,
    /**
     * ...unless rows arrive fast enough to fill this many within maxBatchDelayMs: then a batch
     * waits for them, because ClickHouse merges a few large parts for far less CPU than many
     * small ones.
     */
    minBatchRows: 25_000,
    maxBatchDelayMs: 1_000,
    /** Rows waiting or being written beyond which ingest answers 429 with Retry-After. */
    maxQueuedRows: 400_000,
  },
  sql: {
    /** `POST /api/v1/sql` (`release-health sql`): read-only SQL over the tables, `query` scope. */
    enabled: true,
    /** Longest an analyst query may run; with the embedded engine it holds up ingest meanwhile. */
    maxExecutionSeconds: 10,
    /** Rows returned at most; more are cut, and the answer says so. */
    maxResultRows: 10_000,
    maxMemoryBytes: 1024 * 1024 * 1024,
  },
  policies: {
    /** Directory of analysis templates per service (YAML), reloaded on change; '' = none. */
    dir: '',
  },
  mapping: {
    releaseAttribute: 'service.version',
    environmentAttributes: ['deployment.environment.name', 'deployment.environment'],
    /** Span attributes read as flags (`<prefix><flag key>` = variant); empty = off. */
    flagAttributePrefix: '',
  },
  kafka: {
    brokers: [] as string[],
    clientId: 'release-health',
    groupId: 'release-health',
    /**
     * `topic:format` pairs; formats: otlp_proto, otlp_json (traces), otlp_metrics_proto,
     * otlp_metrics_json (metrics), json (see `KAFKA_FORMATS`).
     */
    topics: [] as string[],
    /** Where a group without a committed offset starts: the oldest retained message, or new ones. */
    fromBeginning: true,
    /** A partition's batch is written once it holds this many rows (spans, points or events)... */
    maxBatchRows: 50_000,
    /**
     * ...or once its oldest message has waited this long. Each partition writes batches of its
     * own, so at 100-150k events/s over four partitions 500 ms made batches of 12,500-18,750
     * rows, and the engine's inserts and merges of them cost two to three times what 1 s batches
     * do (benchmarks/RESULTS.md, "Where the figures stand", "Kafka batch wait"); serve's writer
     * waits up to 1 s too.
     */
    maxBatchWaitMs: 1_000,
    /** Rows buffered or being written, over all partitions, beyond which fetching pauses. */
    maxBufferedRows: 300_000,
    /** A larger message is not decoded: it goes to the dead letters as it is. */
    maxMessageBytes: 16 * 1024 * 1024,
    /** Worker threads that decode and map fetched messages; 0 = on the main thread. */
    decodeThreads: 1,
    /**
     * Bytes asked for per partition in one fetch (KafkaJS `maxBytesPerPartition`). KafkaJS keeps
     * each fetched message as a few objects until the whole fetch is handled: at 8 MiB a fetch of
     * four partitions held 110,000 of them, and the worker's peak RSS passed 1 GiB with no gain
     * in throughput (benchmarks/RESULTS.md, "Where the figures stand", "Kafka fetch size").
     */
    fetchMaxBytesPerPartition: 2 * 1024 * 1024,
    /** A worker silent for this long is considered dead and its partitions move to others. */
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    /** On shutdown, how long the batch being written may take before it is abandoned. */
    shutdownTimeoutMs: 15_000,
    /** TLS to the brokers (SSL and SASL_SSL listeners); README "Kafka security" has examples. */
    tls: {
      enabled: false,
      /** PEM file of the CAs to trust; '' = Node's public CAs (enough for managed services). */
      caFile: '',
      /** Client certificate and key (PEM) for brokers that require mutual TLS. */
      certFile: '',
      keyFile: '',
      /** Passphrase of an encrypted `keyFile`; never logged. */
      keyPassword: '',
      /** Name the broker certificates must carry; '' = the host of the broker address. */
      serverName: '',
    },
    sasl: {
      /** '' (none), plain, scram-sha-256, scram-sha-512 or oauthbearer. */
      mechanism: '',
      username: '',
      /** Never logged. Prefer `passwordFile` or RH_KAFKA_SASL_PASSWORD over the config file. */
      password: '',
      /** A file holding the password (a mounted secret); read at start, wins over `password`. */
      passwordFile: '',
      /** OAUTHBEARER: a file holding the token, read again whenever it changes... */
      oauthTokenFile: '',
      /** ...or a command that prints a token on stdout, run again before the token expires. */
      oauthTokenCommand: '',
      /** A token without an `exp` claim is fetched again after this long. */
      oauthTokenRefreshSeconds: 300,
    },
    /** `ingest-kafka` serves /healthz, /readyz and /metrics here (port 0: any free port). */
    http: { enabled: true, host: '127.0.0.1', port: 8081 },
  },
  runtime: {
    /**
     * `serve` sets V8's young generation to keep its size and its old generation to grow
     * further between full collections (src/cli/tune-garbage-collector.ts): about 0.15 CPU-s
     * less per 100k spans of OTLP ingest. Skipped when Node is given heap flags of its own, and
     * undone when `serve` consumes Kafka too (the tuning slowed the decoding of Kafka messages);
     * `ingest-kafka` never has it.
     */
    tuneGarbageCollector: true,
  },
}

export type ConfigShape = typeof DEFAULT_CONFIG

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

export type Config = DeepReadonly<ConfigShape>
