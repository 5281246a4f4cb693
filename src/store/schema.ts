/**
 * The versioned schema. Each migration is applied once, in order, and recorded in
 * `schema_migrations`; statements are written to be idempotent so that a crash between a
 * statement and its record is repaired by running `migrate` again. `{db}` is the database.
 * Never edit a released migration: add a new one.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: readonly string[]
  /**
   * Statements that make the schema cheaper to run but that nothing depends on, run after
   * `statements`: a server too old to know a setting one of them uses skips it with a warning
   * (`migrate`) instead of failing the migration.
   */
  readonly tuning?: readonly string[]
}

/** Days raw spans are kept; rollups and verdicts are kept longer (see `ttlStatements`). */
export const ROLLUP_TTL_FACTOR = 4

/**
 * Insert blocks whose deduplication tokens a table remembers. A Kafka batch replayed after a
 * crash must still find its token, so the window must outlast the blocks every writer (Kafka
 * workers and OTLP receivers alike) inserts between a write and its replay: at 20 inserts a
 * second that is over an hour, far beyond a session timeout or a restart.
 */
export const KAFKA_DEDUPLICATION_WINDOW_BLOCKS = 100_000

/**
 * Writes to the state tables (`analyses`, `verdicts`) whose deduplication tokens are
 * remembered. Their tokens are compare-and-set keys between processes (an analysis version, a
 * decision change after a given entry): they only have to outlive a race of a few seconds.
 */
export const STATE_DEDUPLICATION_WINDOW_BLOCKS = 10_000

/**
 * Days a Kafka batch ledger entry is kept. An entry only matters until the offsets it covers
 * are committed, normally seconds later; a week covers a group that was stopped and resumed.
 */
export const KAFKA_LEDGER_TTL_DAYS = 7

/**
 * Each span once with no flag (key and variant '') and once per flag it carries: the rows the
 * rollups group, so a cohort without a flag selector counts every request once.
 */
export const FLAG_ROWS = `ARRAY JOIN arrayConcat(
        [tuple('', '')],
        CAST(arrayZip(mapKeys(flags), mapValues(flags)), 'Array(Tuple(String, String))')
      ) AS flag`

/**
 * What `latency_sample_1m` keeps of `{db}.spans` (its view, and its backfill). Each kept span is
 * one UInt128, hash in the high half and duration in the low, so that it sorts as the pair
 * (hash, duration) does: the engine keeps the smallest of plain numbers about five times
 * faster than of tuples (0.18 vs 0.84 µs per row measured), and this view runs on every insert.
 */
const LATENCY_SAMPLE_SELECT = `SELECT
        toStartOfMinute(timestamp) AS minute,
        service,
        environment,
        release,
        flag.1 AS flag_key,
        flag.2 AS flag_variant,
        groupArraySortedState(256)(
          bitShiftLeft(toUInt128(cityHash64(timestamp, duration_ns)), 64) + duration_ns) AS sample
      FROM {db}.spans
      ${FLAG_ROWS}
      WHERE is_entry = 1
      GROUP BY minute, service, environment, release, flag_key, flag_variant`

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'spans, per-minute request rollup, analyses, verdicts, dead letters',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.spans (
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flags Map(LowCardinality(String), String),
        name LowCardinality(String),
        kind LowCardinality(String),
        status_code LowCardinality(String),
        status_message String CODEC(ZSTD(1)),
        http_status_code UInt16,
        http_route LowCardinality(String),
        is_error UInt8,
        is_entry UInt8,
        duration_ns UInt64 CODEC(T64, ZSTD(1)),
        trace_id String CODEC(ZSTD(1)),
        span_id String CODEC(ZSTD(1)),
        parent_span_id String CODEC(ZSTD(1)),
        resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        span_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = MergeTree
      PARTITION BY toDate(timestamp)
      ORDER BY (service, environment, release, timestamp)
      SETTINGS non_replicated_deduplication_window = 10000`,
      // One row per minute and cohort. Every entry span is counted once under flag ('', '')
      // (the release as a whole) and once per flag it evaluated, so flag-variant cohorts read
      // the rollup without touching raw spans.
      `CREATE TABLE IF NOT EXISTS {db}.request_rollup_1m (
        minute DateTime('UTC'),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        requests SimpleAggregateFunction(sum, UInt64),
        errors SimpleAggregateFunction(sum, UInt64),
        duration_ms_sum SimpleAggregateFunction(sum, Float64),
        latency_ms AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (service, environment, release, flag_key, flag_variant, minute)
      SETTINGS non_replicated_deduplication_window = 10000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.request_rollup_1m_mv TO {db}.request_rollup_1m AS
      SELECT
        toStartOfMinute(timestamp) AS minute,
        service,
        environment,
        release,
        flag.1 AS flag_key,
        flag.2 AS flag_variant,
        count() AS requests,
        sum(is_error) AS errors,
        sum(duration_ns / 1e6) AS duration_ms_sum,
        quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency_ms
      FROM {db}.spans
      ARRAY JOIN arrayConcat(
        [tuple('', '')],
        CAST(arrayZip(mapKeys(flags), mapValues(flags)), 'Array(Tuple(String, String))')
      ) AS flag
      WHERE is_entry = 1
      GROUP BY minute, service, environment, release, flag_key, flag_variant`,
      `CREATE TABLE IF NOT EXISTS {db}.analyses (
        id String,
        version UInt32,
        created_at DateTime64(3, 'UTC'),
        service LowCardinality(String),
        environment LowCardinality(String),
        baseline String,
        canary String,
        start_time DateTime64(3, 'UTC'),
        policy String
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (id, version)`,
      `CREATE TABLE IF NOT EXISTS {db}.verdicts (
        analysis_id String,
        evaluated_at DateTime64(3, 'UTC'),
        recorded_at DateTime64(3, 'UTC'),
        decision LowCardinality(String),
        reasons Array(String),
        policy_version UInt32,
        requester LowCardinality(String),
        body String CODEC(ZSTD(3))
      )
      ENGINE = MergeTree
      ORDER BY (analysis_id, evaluated_at)`,
      `CREATE TABLE IF NOT EXISTS {db}.dead_letters (
        received_at DateTime64(3, 'UTC'),
        source LowCardinality(String),
        topic LowCardinality(String),
        partition Int32,
        offset Int64,
        key String,
        payload String CODEC(ZSTD(3)),
        error String
      )
      ENGINE = MergeTree
      PARTITION BY toDate(received_at)
      ORDER BY (source, topic, received_at)`,
    ],
  },
  {
    version: 2,
    name: 'kafka ingestion: release events, the batch ledger, raw bytes in dead letters',
    statements: [
      // Release events from custom producers (docs/kafka-json-events.md). `value` is Nullable
      // because an event may carry only an outcome; aggregates skip NULLs.
      `CREATE TABLE IF NOT EXISTS {db}.events (
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flags Map(LowCardinality(String), String),
        name LowCardinality(String),
        value Nullable(Float64),
        outcome LowCardinality(String),
        attributes Map(LowCardinality(String), String) CODEC(ZSTD(1))
      )
      ENGINE = MergeTree
      PARTITION BY toDate(timestamp)
      ORDER BY (service, environment, release, name, timestamp)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      // The Kafka workers' write-ahead ledger: one 'intent' row per batch, recorded before its
      // rows are written, and one 'written' row after (src/ingest/kafka/ledger).
      `CREATE TABLE IF NOT EXISTS {db}.kafka_batches (
        consumer_group LowCardinality(String),
        topic LowCardinality(String),
        partition Int32,
        first_offset Int64,
        last_offset Int64,
        first_timestamp_ms Int64,
        token String,
        state Enum8('intent' = 1, 'written' = 2),
        rows UInt32,
        recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = MergeTree
      ORDER BY (consumer_group, topic, partition, first_offset)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      // Kafka payloads and keys are arbitrary bytes, which JSONEachRow cannot carry: writers
      // send them base64-encoded in these insert-only columns and ClickHouse stores the bytes.
      `ALTER TABLE {db}.dead_letters
        ADD COLUMN IF NOT EXISTS payload_base64 String EPHEMERAL,
        ADD COLUMN IF NOT EXISTS key_base64 String EPHEMERAL`,
      `ALTER TABLE {db}.dead_letters
        MODIFY COLUMN payload String DEFAULT base64Decode(payload_base64) CODEC(ZSTD(3)),
        MODIFY COLUMN key String DEFAULT base64Decode(key_base64)`,
      ...['spans', 'request_rollup_1m', 'dead_letters'].map(
        (table) =>
          `ALTER TABLE {db}.${table} MODIFY SETTING non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      ),
    ],
  },
  {
    version: 3,
    name: 'per-minute latency samples kept for verdicts',
    statements: [
      // Per minute and cohort (as the request rollup: the release as a whole under flag
      // ('', '') and each flag variant), the entry spans of smallest (hash of start time and
      // duration, duration): the verdicts' latency sample is a prefix of it
      // (src/store/cohort-queries.ts), read without scanning raw spans. The size is
      // LATENCY_SAMPLE_KEPT there.
      `CREATE TABLE IF NOT EXISTS {db}.latency_sample_1m (
        minute DateTime('UTC'),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        sample AggregateFunction(groupArraySorted(256), UInt128)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (service, environment, release, flag_key, flag_variant, minute)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.latency_sample_1m_mv TO {db}.latency_sample_1m AS
      ${LATENCY_SAMPLE_SELECT}`,
      // Spans stored before this migration, once: the view sees only later inserts.
      `INSERT INTO {db}.latency_sample_1m ${LATENCY_SAMPLE_SELECT}`,
    ],
  },
  {
    version: 4,
    name: 'logs, flag evaluations from log records, and their links to spans',
    statements: [
      // OTLP log records (src/store/logs-block.ts writes them). flag_key and flag_variant are
      // set on feature_flag.evaluation events, by the same rules as span events.
      `CREATE TABLE IF NOT EXISTS {db}.logs (
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        observed_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        severity_number UInt8,
        severity_text LowCardinality(String),
        body String CODEC(ZSTD(1)),
        trace_id String CODEC(ZSTD(1)),
        span_id String CODEC(ZSTD(1)),
        event_name LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        scope_name LowCardinality(String),
        resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        log_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = MergeTree
      PARTITION BY toDate(timestamp)
      ORDER BY (service, environment, release, timestamp)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      // Flag evaluations that arrived as log records naming a span, in order of arrival:
      // what the linker (src/store/flag-evaluation-linker.ts) still has to match to spans.
      `CREATE TABLE IF NOT EXISTS {db}.flag_evaluations (
        received_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        trace_id String CODEC(ZSTD(1)),
        span_id String CODEC(ZSTD(1))
      )
      ENGINE = MergeTree
      PARTITION BY toDate(received_at)
      ORDER BY received_at
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.flag_evaluations_mv TO {db}.flag_evaluations AS
      SELECT now64(3) AS received_at, timestamp, service, environment, release,
             flag_key, flag_variant, trace_id, span_id
      FROM {db}.logs
      WHERE flag_key != '' AND length(trace_id) = 32 AND length(span_id) = 16`,
      // One row per request entry span and flag that arrived as a log record: the span's own
      // fields, linked once. The rollup is fed from here too, so flag-variant cohorts read
      // request_rollup_1m alike whether a flag came as a span event or as a log record.
      `CREATE TABLE IF NOT EXISTS {db}.span_log_flags (
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        is_error UInt8,
        duration_ns UInt64 CODEC(T64, ZSTD(1)),
        trace_id String CODEC(ZSTD(1)),
        span_id String CODEC(ZSTD(1)),
        linked_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = MergeTree
      PARTITION BY toDate(timestamp)
      ORDER BY (service, environment, flag_key, flag_variant, release, timestamp)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.span_log_flags_rollup_mv TO {db}.request_rollup_1m AS
      SELECT
        toStartOfMinute(timestamp) AS minute,
        service,
        environment,
        release,
        flag_key,
        flag_variant,
        count() AS requests,
        sum(is_error) AS errors,
        sum(duration_ns / 1e6) AS duration_ms_sum,
        quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(duration_ns / 1e6) AS latency_ms
      FROM {db}.span_log_flags
      GROUP BY minute, service, environment, release, flag_key, flag_variant`,
      // ...and the per-minute latency sample (migration 3) alike: the same packed (hash, duration).
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.span_log_flags_latency_sample_mv TO {db}.latency_sample_1m AS
      SELECT
        toStartOfMinute(timestamp) AS minute,
        service,
        environment,
        release,
        flag_key,
        flag_variant,
        groupArraySortedState(256)(
          bitShiftLeft(toUInt128(cityHash64(timestamp, duration_ns)), 64) + duration_ns) AS sample
      FROM {db}.span_log_flags
      GROUP BY minute, service, environment, release, flag_key, flag_variant`,
      // Which linker runs the passes when several serve processes share one ClickHouse: each
      // says it is alive here; the longest-running one links (flag-linker-lease.ts).
      `CREATE TABLE IF NOT EXISTS {db}.flag_linker_heartbeats (
        linker String,
        started_at DateTime64(3, 'UTC'),
        at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = MergeTree
      ORDER BY at
      TTL toDateTime(at) + toIntervalDay(1)`,
    ],
  },
  {
    version: 5,
    name: 'dead letters of single rejected items of a Kafka message',
    statements: [
      // A span rejected inside an otherwise valid OTLP message is dead-lettered alone: the
      // row names its position in the message (-1: the dead letter is the whole message).
      `ALTER TABLE {db}.dead_letters
        ADD COLUMN IF NOT EXISTS item_index Int32 DEFAULT -1 AFTER offset`,
    ],
  },
  {
    version: 6,
    name: 'OTLP metric data points',
    statements: [
      // One row per data point (docs/tables.md). `series_id` names a series as the metrics
      // data model does (resource, scope, metric name and point attributes), whatever order
      // the attributes came in; per-minute increases are worked out per series and start time.
      `CREATE TABLE IF NOT EXISTS {db}.metric_points (
        timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        start_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flags Map(LowCardinality(String), String),
        metric_name LowCardinality(String),
        metric_type LowCardinality(String),
        unit LowCardinality(String),
        temporality LowCardinality(String),
        is_monotonic UInt8,
        value Float64 CODEC(Gorilla, ZSTD(1)),
        count UInt64 CODEC(T64, ZSTD(1)),
        sum Nullable(Float64),
        min Nullable(Float64),
        max Nullable(Float64),
        bucket_counts Array(UInt64) CODEC(ZSTD(1)),
        explicit_bounds Array(Float64) CODEC(ZSTD(1)),
        exp_scale Int32,
        exp_zero_count UInt64,
        exp_zero_threshold Float64,
        exp_positive_offset Int32,
        exp_positive_counts Array(UInt64) CODEC(ZSTD(1)),
        exp_negative_offset Int32,
        exp_negative_counts Array(UInt64) CODEC(ZSTD(1)),
        quantiles Array(Float64),
        quantile_values Array(Float64),
        point_flags UInt32,
        scope_name LowCardinality(String),
        scope_version LowCardinality(String),
        resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        series_id UInt64 MATERIALIZED cityHash64(
          metric_name, scope_name, scope_version, mapSort(resource_attributes), mapSort(attributes))
      )
      ENGINE = MergeTree
      PARTITION BY toDate(timestamp)
      ORDER BY (service, environment, release, metric_name, timestamp)
      SETTINGS non_replicated_deduplication_window = ${KAFKA_DEDUPLICATION_WINDOW_BLOCKS}`,
    ],
  },
  {
    version: 7,
    name: 'state shared between release-health processes: versioned analyses, decision changes',
    statements: [
      // Which write a version of an analysis holds: writers of the same version send the same
      // deduplication token, the first one is kept and each reads back whether it was theirs
      // (src/store/analyses-repository.ts).
      `ALTER TABLE {db}.analyses ADD COLUMN IF NOT EXISTS write_id String DEFAULT ''`,
      // Without a window, MergeTree tables ignore deduplication tokens.
      ...['analyses', 'verdicts'].map(
        (table) =>
          `ALTER TABLE {db}.${table} MODIFY SETTING non_replicated_deduplication_window = ${STATE_DEDUPLICATION_WINDOW_BLOCKS}`,
      ),
    ],
  },
  {
    version: 8,
    name: 'release trains, and the blast radius of each analysis minute by minute',
    statements: [
      // A release train: several services' canaries judged together (src/verdicts/train-service.ts).
      // Like analyses, a change is a new version; history is never edited.
      `CREATE TABLE IF NOT EXISTS {db}.trains (
        id String,
        version UInt32,
        created_at DateTime64(3, 'UTC'),
        name String,
        environment LowCardinality(String),
        start_time DateTime64(3, 'UTC'),
        members String,
        policy String
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (id, version)`,
      // Other services' requests on the traces through each cohort, per minute, frozen once the
      // minute is complete (src/verdicts/blast-radius.ts): what the blast-radius rules used.
      `CREATE TABLE IF NOT EXISTS {db}.blast_radius_minutes (
        analysis_id String,
        minute DateTime('UTC'),
        cohort LowCardinality(String),
        service LowCardinality(String),
        role LowCardinality(String),
        requests UInt64,
        errors UInt64,
        latency_ms Array(Float64) CODEC(ZSTD(3)),
        frozen_at DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (analysis_id, minute, cohort, service)`,
    ],
  },
  {
    version: 9,
    name: 'frozen minutes: the per-minute counts and latency samples each analysis has used',
    statements: [
      // One row per analysis, cohort and minute, written once when the minute passes the
      // ingest-lag watermark (src/verdicts/frozen-minutes.ts); a restart reads them back.
      `CREATE TABLE IF NOT EXISTS {db}.frozen_minutes (
        analysis_id String,
        cohort LowCardinality(String),
        minute DateTime('UTC'),
        requests UInt64,
        errors UInt64,
        latency_ms Array(Float64) CODEC(ZSTD(3)),
        frozen_at DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (analysis_id, cohort, minute)`,
    ],
  },
  {
    version: 10,
    name: "rollups of the Collector exporter's otel_traces, filled on request",
    statements: [
      // The request rollup and latency sample of the spans in the Collector ClickHouse
      // exporter's table, the same columns as release-health's own (migrations 1 and 3), so
      // the same cohort queries read them. Empty until `release-health otel-traces rollup`
      // adds the views that fill them (src/store/otel-rollup.ts).
      `CREATE TABLE IF NOT EXISTS {db}.otel_request_rollup_1m (
        minute DateTime('UTC'),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        requests SimpleAggregateFunction(sum, UInt64),
        errors SimpleAggregateFunction(sum, UInt64),
        duration_ms_sum SimpleAggregateFunction(sum, Float64),
        latency_ms AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (service, environment, release, flag_key, flag_variant, minute)`,
      `CREATE TABLE IF NOT EXISTS {db}.otel_latency_sample_1m (
        minute DateTime('UTC'),
        service LowCardinality(String),
        environment LowCardinality(String),
        release LowCardinality(String),
        flag_key LowCardinality(String),
        flag_variant LowCardinality(String),
        sample AggregateFunction(groupArraySorted(256), UInt128)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (service, environment, release, flag_key, flag_variant, minute)`,
      // Which rollup of the exporter's table is in place, newest entry last: verdicts read
      // it only once it is complete and made under their configuration.
      `CREATE TABLE IF NOT EXISTS {db}.otel_rollups (
        recorded_at DateTime64(3, 'UTC'),
        state LowCardinality(String),
        read_table String,
        insert_table String,
        definition String,
        cutover DateTime64(3, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY recorded_at`,
    ],
  },
  {
    version: 11,
    name: 'cheaper background merges of spans: LZ4 attribute maps, wider merges',
    // Background merges were the largest cost of ingest at 100k spans/s (benchmarks/RESULTS.md,
    // "Ingest on the Native write path"; benchmarks/span-merge-cost.ts). On 6M realistic spans
    // in 25,000-row parts, merged until one part: 0.74-0.89 CPU-seconds per 100k spans before,
    // 0.36-0.52 after, for 5% more disk (the maps 14% larger). Parts written before keep their
    // codec until merged.
    statements: [
      // LZ4 compresses and decompresses several times faster than ZSTD; the attribute maps
      // are most of the bytes each merge rewrites.
      `ALTER TABLE {db}.spans MODIFY COLUMN resource_attributes CODEC(LZ4)`,
      `ALTER TABLE {db}.spans MODIFY COLUMN span_attributes CODEC(LZ4)`,
    ],
    tuning: [
      // Merge about ten parts of a size at once instead of five: each span is rewritten by
      // fewer merges on its way to a large part, for more parts at any moment (ClickHouse
      // 24.11 and later know the setting).
      `ALTER TABLE {db}.spans MODIFY SETTING merge_selector_base = 10`,
    ],
  },
  {
    version: 12,
    name: 'cheaper background merges of release events: LZ4 attributes, wider merges',
    // Migration 11 for the Kafka workers' `events` table: at 100k+ events/s its merges and
    // inserts take about a third of a worker's CPU (benchmarks/RESULTS.md, "Kafka workers").
    // Parts written before keep their codec until merged.
    statements: [`ALTER TABLE {db}.events MODIFY COLUMN attributes CODEC(LZ4)`],
    tuning: [`ALTER TABLE {db}.events MODIFY SETTING merge_selector_base = 10`],
  },
]

/** TTL clauses derived from configuration, re-applied by `migrate` when the setting changes. */
export function ttlStatements(
  ttlDays: number,
): readonly { table: string; days: number; ttl: string }[] {
  const rollupDays = ttlDays * ROLLUP_TTL_FACTOR
  const ledgerDays = Math.min(ttlDays, KAFKA_LEDGER_TTL_DAYS)
  return [
    { table: 'spans', days: ttlDays, ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})` },
    { table: 'request_rollup_1m', days: rollupDays, ttl: `minute + toIntervalDay(${rollupDays})` },
    {
      table: 'dead_letters',
      days: ttlDays,
      ttl: `toDateTime(received_at) + toIntervalDay(${ttlDays})`,
    },
    { table: 'events', days: ttlDays, ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})` },
    { table: 'logs', days: ttlDays, ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})` },
    {
      table: 'span_log_flags',
      days: ttlDays,
      ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})`,
    },
    {
      table: 'flag_evaluations',
      days: ledgerDays,
      ttl: `toDateTime(received_at) + toIntervalDay(${ledgerDays})`,
    },
    { table: 'latency_sample_1m', days: ttlDays, ttl: `minute + toIntervalDay(${ttlDays})` },
    // Frozen minutes are kept as long as the rollup counts they were read from.
    { table: 'frozen_minutes', days: rollupDays, ttl: `minute + toIntervalDay(${rollupDays})` },
    {
      table: 'blast_radius_minutes',
      days: rollupDays,
      ttl: `minute + toIntervalDay(${rollupDays})`,
    },
    {
      table: 'metric_points',
      days: ttlDays,
      ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})`,
    },
    {
      table: 'kafka_batches',
      days: ledgerDays,
      ttl: `toDateTime(recorded_at) + toIntervalDay(${ledgerDays})`,
    },
    // The exporter's table has a retention of its own; its rollups keep ours.
    {
      table: 'otel_request_rollup_1m',
      days: rollupDays,
      ttl: `minute + toIntervalDay(${rollupDays})`,
    },
    { table: 'otel_latency_sample_1m', days: ttlDays, ttl: `minute + toIntervalDay(${ttlDays})` },
  ]
}
