import { RhError } from '../errors.ts'
import type { Migration } from './schema.ts'

/**
 * The schema on a ClickHouse cluster (`clickhouse.cluster`), generated from the single-server
 * migrations so that both stay one schema. Every statement runs `ON CLUSTER`, and tables are
 * placed by what they hold:
 *
 * - **Telemetry** (`spans`, `events`, `dead_letters`) and **rollups** (`request_rollup_1m`,
 *   `latency_sample_1m`, and their `otel_` twins of the Collector exporter's table) are
 *   sharded: `<name>_local` is a Replicated table on every shard (its Keeper path holds
 *   `{shard}`), and `<name>` a Distributed table over them with a deterministic sharding key.
 *   Writers and queries use `<name>` unchanged. Materialized views read and write the
 *   `_local` tables, so each shard rolls up its own spans; queries merge the shards' partial
 *   rows (they always `GROUP BY` and `sum` or `…Merge`).
 * - **State** (`analyses`, `verdicts`, `frozen_minutes`, `kafka_batches`, the migration tables)
 *   is not sharded: one Replicated table whose Keeper path has no `{shard}`, so every server of
 *   the cluster holds every row and the deduplication tokens that act as compare-and-set keys
 *   between processes are checked against one Keeper block list, whichever server a write
 *   reaches.
 *
 * Deduplication: Replicated tables ignore `non_replicated_deduplication_window`; the generated
 * tables set `replicated_deduplication_window` to the same number of blocks instead. A write
 * through a Distributed table is split by the sharding key and sent to one replica of each
 * shard with the insert's settings, `insert_deduplication_token` included; inserts on a
 * cluster add `distributed_foreground_insert = 1` (`CLUSTER_INSERT_SETTINGS`) so that this
 * happens inside the INSERT, not later from a queue, and a retried block is split the same way
 * (the keys are pure functions of the row), so each shard sees the same sub-block under the
 * same token and stores it once.
 */

/** Tables sharded across the cluster, and the sharding key of each (a pure function of a row). */
export const SHARDING_KEYS: Readonly<Record<string, string>> = {
  spans: 'cityHash64(trace_id)',
  events: 'cityHash64(service, release, timestamp)',
  dead_letters: 'cityHash64(topic, partition, offset)',
  request_rollup_1m: 'cityHash64(service, release)',
  latency_sample_1m: 'cityHash64(service, release)',
  otel_request_rollup_1m: 'cityHash64(service, release)',
  otel_latency_sample_1m: 'cityHash64(service, release)',
}

/** What every insert adds on a cluster: the Distributed table writes to the shards in the INSERT. */
export const CLUSTER_INSERT_SETTINGS = { distributed_foreground_insert: 1 } as const

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The cluster name as `remote_servers` spells it: an identifier, since it is written into DDL. */
export function toClusterName(value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "clickhouse.cluster" must be a cluster name of remote_servers (letters, digits, _), got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/** Each migration with its statements rewritten for `cluster`. */
export function toClusterMigrations(
  migrations: readonly Migration[],
  cluster: string,
): Migration[] {
  const name = toClusterName(cluster)
  return migrations.map((migration) => ({
    ...migration,
    statements: migration.statements.flatMap((statement) => toClusterStatements(statement, name)),
    ...(migration.tuning === undefined
      ? {}
      : {
          tuning: migration.tuning.flatMap((statement) => toClusterStatements(statement, name)),
        }),
  }))
}

/** The bookkeeping tables `migrate` creates before any migration, for a cluster. */
export function toClusterBookkeeping(statements: readonly string[], cluster: string): string[] {
  const name = toClusterName(cluster)
  return statements.flatMap((statement) => toClusterStatements(statement, name))
}

/** The table a statement's TTL or `system.tables` lookup is about on a cluster. */
export function toLocalTable(table: string): string {
  return table in SHARDING_KEYS ? `${table}_local` : table
}

const CREATE_TABLE =
  /^CREATE TABLE IF NOT EXISTS (\{db\}|\w+)\.(\w+) (\([\s\S]*\))\s*ENGINE = (MergeTree|ReplacingMergeTree|AggregatingMergeTree)\b([\s\S]*)$/
const CREATE_VIEW =
  /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\{db\}|\w+)\.(\w+) TO (\{db\}|\w+)\.(\w+) AS([\s\S]*)$/
const ALTER_TABLE = /^ALTER TABLE (\{db\}|\w+)\.(\w+)\s+([\s\S]*)$/
const INSERT_SELECT = /^INSERT INTO (\{db\}|\w+)\.(\w+) SELECT\b/
const CREATE_DATABASE = /^CREATE DATABASE IF NOT EXISTS (\{db\}|\w+)$/
const CREATE_VIEW_AS = /^CREATE OR REPLACE VIEW (\w+)\.(\w+) AS\b([\s\S]*)$/
const DROP_VIEW = /^DROP VIEW IF EXISTS (\{db\}|\w+)\.(\w+)$/
const TRUNCATE_TABLE = /^TRUNCATE TABLE IF EXISTS (\{db\}|\w+)\.(\w+)$/

/**
 * One single-server statement as the statements that do the same on a cluster. Throws
 * `RH_INTERNAL` for a statement of a shape it does not know: a new migration must be taught
 * here, which its unit test shows at once.
 */
export function toClusterStatements(statement: string, cluster: string): string[] {
  const text = statement.trim()
  const onCluster = `ON CLUSTER ${cluster}`
  const database = CREATE_DATABASE.exec(text)
  if (database !== null) return [`CREATE DATABASE IF NOT EXISTS ${database[1]} ${onCluster}`]

  const plainView = CREATE_VIEW_AS.exec(text)
  if (plainView !== null) {
    return [`CREATE OR REPLACE VIEW ${plainView[1]}.${plainView[2]} ${onCluster} AS${plainView[3]}`]
  }

  const table = CREATE_TABLE.exec(text)
  if (table !== null) {
    const [, db, name, columns, engine, rest] = table as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    const settings = toReplicatedSettings(rest)
    const shardingKey = SHARDING_KEYS[name]
    if (shardingKey === undefined) {
      return [
        `CREATE TABLE IF NOT EXISTS ${db}.${name} ${onCluster} ${columns}
      ENGINE = Replicated${engine}('/clickhouse/tables/all/{database}/{table}', '{replica}')${settings}`,
      ]
    }
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${name}_local ${onCluster} ${columns}
      ENGINE = Replicated${engine}('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')${settings}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${name} ${onCluster} AS ${db}.${name}_local
      ENGINE = Distributed(${cluster}, ${db}, ${name}_local, ${shardingKey})`,
    ]
  }

  const view = CREATE_VIEW.exec(text)
  if (view !== null) {
    const [, db, name, targetDb, target, select] = view as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name} ${onCluster} TO ${targetDb}.${toLocalTable(target)} AS${toLocalSources(select, targetDb)}`,
    ]
  }

  const dropView = DROP_VIEW.exec(text)
  if (dropView !== null) return [`DROP VIEW IF EXISTS ${dropView[1]}.${dropView[2]} ${onCluster}`]

  // A sharded table's rows are in its _local tables; the Distributed one holds none.
  const truncate = TRUNCATE_TABLE.exec(text)
  if (truncate !== null) {
    return [`TRUNCATE TABLE IF EXISTS ${truncate[1]}.${toLocalTable(truncate[2]!)} ${onCluster}`]
  }

  const alter = ALTER_TABLE.exec(text)
  if (alter !== null) {
    const [, db, name, commands] = alter as unknown as [string, string, string, string]
    if (/^MODIFY SETTING /.test(commands)) {
      return [
        `ALTER TABLE ${db}.${toLocalTable(name)} ${onCluster} ${toReplicatedSettings(commands)}`,
      ]
    }
    // Codecs are how the shards' tables store a column; the Distributed table stores none.
    if (/^MODIFY TTL /.test(commands) || /^MODIFY COLUMN \w+ CODEC\(/.test(commands)) {
      return [`ALTER TABLE ${db}.${toLocalTable(name)} ${onCluster} ${commands}`]
    }
    // Column changes apply to the shards' tables and to the Distributed table over them.
    const local = toLocalTable(name)
    return local === name
      ? [`ALTER TABLE ${db}.${name} ${onCluster} ${commands}`]
      : [
          `ALTER TABLE ${db}.${local} ${onCluster} ${commands}`,
          `ALTER TABLE ${db}.${name} ${onCluster} ${commands}`,
        ]
  }

  // A backfill reads and writes through the Distributed tables: run once, from one server.
  if (INSERT_SELECT.test(text)) return [text]

  throw new RhError(
    'RH_INTERNAL',
    `no cluster form for the migration statement: ${text.slice(0, 120)}`,
  )
}

/** The settings clause with the replicated deduplication window instead of the other one. */
function toReplicatedSettings(clause: string): string {
  return clause.replace(/non_replicated_deduplication_window/g, 'replicated_deduplication_window')
}

/**
 * A view's `FROM {db}.<sharded table>` reads that shard's `_local` table. Only tables of the
 * view's own database: a view on a table of another database (the Collector exporter's, which
 * may be named like one of ours) reads it as named.
 */
function toLocalSources(select: string, database: string): string {
  return select.replace(/\bFROM (\{db\}|\w+)\.(\w+)/g, (match, db: string, table: string) => {
    return db === database ? `FROM ${db}.${toLocalTable(table)}` : match
  })
}
