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
}

/** Days raw spans are kept; rollups and verdicts are kept longer (see `ttlStatements`). */
export const ROLLUP_TTL_FACTOR = 4

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
      ENGINE = ReplacingMergeTree(version)
      ORDER BY id`,
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
]

/** TTL clauses derived from configuration, re-applied by `migrate` when the setting changes. */
export function ttlStatements(
  ttlDays: number,
): readonly { table: string; days: number; ttl: string }[] {
  const rollupDays = ttlDays * ROLLUP_TTL_FACTOR
  return [
    { table: 'spans', days: ttlDays, ttl: `toDateTime(timestamp) + toIntervalDay(${ttlDays})` },
    { table: 'request_rollup_1m', days: rollupDays, ttl: `minute + toIntervalDay(${rollupDays})` },
    {
      table: 'dead_letters',
      days: ttlDays,
      ttl: `toDateTime(received_at) + toIntervalDay(${ttlDays})`,
    },
  ]
}
