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
  },
  otlp: {
    http: { enabled: true, host: '0.0.0.0', port: 4318, maxBodyBytes: 16 * 1024 * 1024 },
    /** A span (or resource) with more attributes than this is rejected as absurd (partial success). */
    maxAttributesPerSpan: 512,
  },
  api: {
    host: '0.0.0.0',
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
     * Bearer tokens as `scopes:token`, scopes joined by `+` from ingest, read, admin, e.g.
     * `read:3f9a...` or `ingest+read:...`. Empty: no authentication (serve warns).
     */
    tokens: [] as string[],
  },
  writer: {
    /** A group-commit batch is written when it holds this many rows... */
    maxBatchRows: 50_000,
    /** ...or when its oldest row has waited this long. */
    flushIntervalMs: 200,
    /** Rows waiting or being written beyond which ingest answers 429 with Retry-After. */
    maxQueuedRows: 400_000,
  },
  policies: {
    /** Directory of analysis templates per service (YAML), reloaded on change; '' = none. */
    dir: '',
  },
  telemetry: {
    /** OTLP/HTTP endpoint for release-health's own metrics, e.g. http://collector:4318/v1/metrics; '' = off (Prometheus text stays at /metrics). */
    otlpMetricsEndpoint: '',
    exportIntervalMs: 15_000,
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
    /** `topic:format` pairs; formats: otlp_proto, otlp_json, json. */
    topics: [] as string[],
    /** Where a group without a committed offset starts: the oldest retained message, or new ones. */
    fromBeginning: true,
    /** A partition's batch is written once it holds this many rows (spans or events)... */
    maxBatchRows: 50_000,
    /** ...or once its oldest message has waited this long. */
    maxBatchWaitMs: 500,
    /** Rows buffered or being written, over all partitions, beyond which fetching pauses. */
    maxBufferedRows: 300_000,
    /** A larger message is not decoded: it goes to the dead letters as it is. */
    maxMessageBytes: 16 * 1024 * 1024,
    /** Bytes asked for per partition in one fetch (KafkaJS `maxBytesPerPartition`). */
    fetchMaxBytesPerPartition: 8 * 1024 * 1024,
    /** A worker silent for this long is considered dead and its partitions move to others. */
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    /** On shutdown, how long the batch being written may take before it is abandoned. */
    shutdownTimeoutMs: 15_000,
  },
}

export type ConfigShape = typeof DEFAULT_CONFIG

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

export type Config = DeepReadonly<ConfigShape>
