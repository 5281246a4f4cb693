import { describe, expect, it } from 'vitest'
import {
  SHARDING_KEYS,
  toClusterBookkeeping,
  toClusterMigrations,
  toClusterName,
  toClusterStatements,
} from '../../../src/store/cluster-ddl.ts'
import { toInsertSettings } from '../../../src/store/insert-statement.ts'
import { bookkeepingStatements } from '../../../src/store/migrate.ts'
import { MIGRATIONS } from '../../../src/store/schema.ts'
import {
  toOtelRollupDropStatements,
  toOtelRollupViewStatements,
} from '../../../src/store/otel-rollup.ts'
import { createStore } from '../../../src/store/store-client.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { resolveConfig } from '../../../src/config/resolve-config.ts'
import { resolveFromFlags } from '../../../src/cli/config-options.ts'

const CLUSTER = 'rh_cluster'
const statements = [
  ...toClusterBookkeeping(bookkeepingStatements('{db}'), CLUSTER),
  ...toClusterMigrations(MIGRATIONS, CLUSTER).flatMap((migration) => [
    ...migration.statements,
    ...(migration.tuning ?? []),
  ]),
]
const creates = statements.filter((statement) => statement.startsWith('CREATE TABLE'))

/** The statement creating `db.name`, for the tests to read. */
function createOf(name: string): string {
  const found = creates.find((statement) =>
    statement.startsWith(`CREATE TABLE IF NOT EXISTS {db}.${name} `),
  )
  if (found === undefined) throw new Error(`no CREATE TABLE of ${name}`)
  return found
}

describe('toClusterMigrations', () => {
  it('runs every DDL statement ON CLUSTER, and keeps the migration numbers and names', () => {
    const migrations = toClusterMigrations(MIGRATIONS, CLUSTER)
    expect(migrations.map(({ version, name }) => ({ version, name }))).toEqual(
      MIGRATIONS.map(({ version, name }) => ({ version, name })),
    )
    for (const statement of statements) {
      if (statement.startsWith('INSERT')) continue
      expect(statement).toContain(`ON CLUSTER ${CLUSTER}`)
    }
  })

  it('puts sharded tables on every shard as Replicated _local tables behind Distributed ones', () => {
    for (const [name, key] of Object.entries(SHARDING_KEYS)) {
      expect(createOf(`${name}_local`)).toMatch(
        /ENGINE = Replicated(Aggregating)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'\)/,
      )
      expect(createOf(name)).toContain(
        `AS {db}.${name}_local\n      ENGINE = Distributed(${CLUSTER}, {db}, ${name}_local, ${key})`,
      )
    }
  })

  it('keeps state tables whole on every server, so one Keeper block list checks their tokens', () => {
    for (const name of [
      'analyses',
      'verdicts',
      'frozen_minutes',
      'kafka_batches',
      'schema_migrations',
      'schema_migration_claims',
    ]) {
      const create = createOf(name)
      expect(create).toContain("('/clickhouse/tables/all/{database}/{table}', '{replica}')")
      expect(create).not.toContain('Distributed')
    }
    expect(createOf('analyses')).toContain('ENGINE = ReplicatedReplacingMergeTree(')
  })

  it('sets the replicated deduplication window wherever one server sets the non-replicated one', () => {
    const single = MIGRATIONS.flatMap((migration) => migration.statements)
    const windows = (list: readonly string[], setting: string) =>
      list.flatMap((statement) =>
        [...statement.matchAll(new RegExp(`(?<!_)${setting} = (\\d+)`, 'g'))].map(
          (match) => match[1],
        ),
      )
    expect(windows(statements, 'non_replicated_deduplication_window')).toEqual([])
    expect(windows(statements, 'replicated_deduplication_window')).toEqual([
      '1000',
      ...windows(single, 'non_replicated_deduplication_window'),
    ])
  })

  it("places the views over spans on the shards' local tables, reading local spans", () => {
    // The views over logs (flag evaluations, migration 4) are not sharded yet: docs/scaling.md.
    const views = statements.filter(
      (statement) =>
        statement.startsWith('CREATE MATERIALIZED') && /FROM \{db\}\.spans/.test(statement),
    )
    expect(views.length).toBe(2)
    for (const view of views) {
      expect(view).toMatch(/ TO \{db\}\.\w+_local AS/)
      expect(view).toContain('FROM {db}.spans_local')
      expect(view).not.toMatch(/FROM \{db\}\.spans\b(?!_local)/)
    }
  })

  it('changes columns of a sharded table on its local tables and its Distributed table', () => {
    expect(
      toClusterStatements(
        'ALTER TABLE {db}.dead_letters ADD COLUMN IF NOT EXISTS item_index Int32 DEFAULT -1',
        CLUSTER,
      ),
    ).toEqual([
      `ALTER TABLE {db}.dead_letters_local ON CLUSTER ${CLUSTER} ADD COLUMN IF NOT EXISTS item_index Int32 DEFAULT -1`,
      `ALTER TABLE {db}.dead_letters ON CLUSTER ${CLUSTER} ADD COLUMN IF NOT EXISTS item_index Int32 DEFAULT -1`,
    ])
    expect(
      toClusterStatements(
        'ALTER TABLE {db}.spans MODIFY TTL toDateTime(timestamp) + toIntervalDay(30)',
        CLUSTER,
      ),
    ).toEqual([
      `ALTER TABLE {db}.spans_local ON CLUSTER ${CLUSTER} MODIFY TTL toDateTime(timestamp) + toIntervalDay(30)`,
    ])
  })

  it("changes a sharded column's codec and merge settings on the shards' tables only: a Distributed table stores nothing", () => {
    expect(
      toClusterStatements(
        'ALTER TABLE {db}.spans MODIFY COLUMN span_attributes CODEC(LZ4)',
        CLUSTER,
      ),
    ).toEqual([
      `ALTER TABLE {db}.spans_local ON CLUSTER ${CLUSTER} MODIFY COLUMN span_attributes CODEC(LZ4)`,
    ])
    const tuning = toClusterMigrations(MIGRATIONS, CLUSTER).flatMap(
      (migration) => migration.tuning ?? [],
    )
    expect(tuning).toContain(
      `ALTER TABLE {db}.spans_local ON CLUSTER ${CLUSTER} MODIFY SETTING merge_selector_base = 10`,
    )
  })

  it("hangs the exporter table's rollup views on the table as named, writing the shards' local rollups", () => {
    const [requests, samples] = toOtelRollupViewStatements(
      'rh',
      'otel.otel_traces',
      DEFAULT_CONFIG.mapping,
      Date.UTC(2026, 10, 20, 10, 0),
    ).flatMap((statement) => toClusterStatements(statement, CLUSTER))
    expect(requests).toMatch(
      new RegExp(
        `^CREATE MATERIALIZED VIEW IF NOT EXISTS rh\\.otel_request_rollup_1m_mv ON CLUSTER ${CLUSTER} TO rh\\.otel_request_rollup_1m_local AS`,
      ),
    )
    expect(samples).toContain(`ON CLUSTER ${CLUSTER} TO rh.otel_latency_sample_1m_local AS`)
    for (const view of [requests, samples]) expect(view).toContain('FROM otel.otel_traces')
  })

  it("reads a view's source in another database as named, even when it is named like a sharded table of ours", () => {
    const [view] = toClusterStatements(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS rh.v TO rh.request_rollup_1m AS SELECT * FROM otel.spans',
      CLUSTER,
    )
    expect(view).toBe(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS rh.v ON CLUSTER ${CLUSTER} TO rh.request_rollup_1m_local AS SELECT * FROM otel.spans`,
    )
  })

  it("drops the rollup's views on every server and empties its tables on the shards", () => {
    expect(
      toOtelRollupDropStatements('rh').flatMap((statement) =>
        toClusterStatements(statement, CLUSTER),
      ),
    ).toEqual([
      `DROP VIEW IF EXISTS rh.otel_request_rollup_1m_mv ON CLUSTER ${CLUSTER}`,
      `DROP VIEW IF EXISTS rh.otel_latency_sample_1m_mv ON CLUSTER ${CLUSTER}`,
      `TRUNCATE TABLE IF EXISTS rh.otel_request_rollup_1m_local ON CLUSTER ${CLUSTER}`,
      `TRUNCATE TABLE IF EXISTS rh.otel_latency_sample_1m_local ON CLUSTER ${CLUSTER}`,
    ])
  })

  it('refuses a statement it has no cluster form for, so that a new migration cannot slip by', () => {
    expect(() => toClusterStatements('DROP TABLE {db}.spans', CLUSTER)).toThrow(/no cluster form/)
  })

  it('refuses a cluster name that is not an identifier: it is written into DDL', () => {
    expect(() => toClusterName("c' ; DROP DATABASE x")).toThrow(/clickhouse.cluster/)
    expect(toClusterName('rh_cluster')).toBe('rh_cluster')
  })
})

describe('the single-server path', () => {
  it('keeps plain MergeTree tables and inserts without cluster settings, as before', () => {
    const single = MIGRATIONS.flatMap((migration) => migration.statements).join('\n')
    expect(single).not.toMatch(/ON CLUSTER|Replicated|Distributed/)
    const settings = toInsertSettings({ deduplicationToken: 'spans-1' })
    expect(settings).not.toHaveProperty('distributed_foreground_insert')
    expect(toInsertSettings({ deduplicationToken: 'spans-1' }, { cluster: true })).toMatchObject({
      distributed_foreground_insert: 1,
      insert_deduplication_token: 'spans-1',
    })
  })

  it('is the default: clickhouse.cluster is empty unless set by file, RH_CLICKHOUSE_CLUSTER or --clickhouse-cluster', () => {
    expect(DEFAULT_CONFIG.clickhouse.cluster).toBe('')
    const fromEnv = resolveConfig({ file: '/dev/null', env: { RH_CLICKHOUSE_CLUSTER: 'rh' } })
    expect(fromEnv.clickhouse.cluster).toBe('rh')
    const fromFlag = resolveFromFlags({
      config: '/dev/null',
      clickhouseCluster: 'rh_flag',
      logLevel: 'info',
      logFormat: 'json',
    })
    expect(fromFlag.clickhouse.cluster).toBe('rh_flag')
  })

  it('refuses a cluster without a server: the embedded engine is one machine', () => {
    expect(() => createStore({ ...DEFAULT_CONFIG.clickhouse, cluster: 'rh_cluster' })).toThrow(
      /clickhouse.cluster.*needs a ClickHouse server/,
    )
  })
})
