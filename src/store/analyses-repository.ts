import { randomUUID } from 'node:crypto'
import type { AnalysisDefinition, CohortSelector } from '../verdicts/analysis-definition.ts'
import { insertRows } from './insert-rows.ts'
import { toDeduplicationToken } from './safe-settings.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/** One recorded evaluation of an analysis: the audit trail controllers and analysts read. */
export interface VerdictRecord {
  readonly analysisId: string
  readonly evaluatedAtMs: number
  readonly recordedAtMs: number
  readonly decision: string
  readonly reasons: readonly string[]
  readonly policyVersion: number
  readonly requester: string
  /** The full verdict document as served. */
  readonly body: unknown
}

/**
 * What became of a save: `conflict` when another writer (another release-health process, or
 * a concurrent request) stored this id and version first; the stored version is theirs.
 */
export type SaveOutcome = 'saved' | 'conflict'

export interface SaveOptions {
  /**
   * The id is new, drawn at random by this process: no other writer can hold it, so the read
   * of which write the version holds is skipped (one query less per analysis created).
   */
  readonly freshId?: boolean
}

export interface AnalysesRepository {
  /**
   * Stores a new version of an analysis, first writer wins: the version is the compare-and-set
   * key, shared through the store so that it holds between processes (see `save` below).
   */
  save(analysis: AnalysisDefinition, options?: SaveOptions): Promise<SaveOutcome>
  /**
   * The newest version of an analysis, or the version in force at `atMs` (the newest created
   * at or before it; the first when all are later), or undefined when there is none.
   */
  find(id: string, atMs?: number): Promise<AnalysisDefinition | undefined>
  /** Newest analyses first (latest version of each), optionally of one service. */
  list(options: { service?: string; limit: number }): Promise<AnalysisDefinition[]>
  /** Records an evaluation a controller asked for: every poll is kept. */
  recordVerdict(record: VerdictRecord): Promise<void>
  /**
   * Records that the decision changed from `previous` (the newest recorded evaluation, or
   * undefined when none is) to `record.decision`. Processes that saw the same previous entry
   * and the same new decision write one entry between them: the write's deduplication token is
   * derived from both, so the store drops the copies.
   */
  recordDecisionChange(record: VerdictRecord, previous: VerdictRecord | undefined): Promise<void>
  listVerdicts(analysisId: string, limit: number): Promise<VerdictRecord[]>
}

interface AnalysisRow {
  id: string
  version: number | string
  created_at: string
  service: string
  environment: string
  baseline: string
  canary: string
  start_time: string
  policy: string
}

interface VerdictRow {
  analysis_id: string
  evaluated_at: string
  recorded_at: string
  decision: string
  reasons: string[]
  policy_version: number | string
  requester: string
  body: string
}

export function createAnalysesRepository(store: Store): AnalysesRepository {
  const db = store.database
  return {
    async save(analysis, saveOptions = {}) {
      // Every writer of a version sends the same token, so the store keeps the first write
      // and drops the others (schema migration 7 gives `analyses` a deduplication window);
      // each writer then reads which write the version holds. A retry of our own write is
      // dropped the same way and still reads as ours.
      const writeId = randomUUID()
      await insertRows(store, {
        table: 'analyses',
        rows: [{ ...toAnalysisRow(analysis), write_id: writeId }],
        // Ids may come from requests: only their digest reaches the setting.
        deduplicationToken: toDeduplicationToken('analysis', [analysis.id, analysis.version]),
      })
      if (saveOptions.freshId === true) return 'saved'
      const [stored] = await selectRows<{ write_id: string }>(
        store,
        `SELECT write_id FROM ${db}.analyses
                WHERE id = {id:String} AND version = {version:UInt32} LIMIT 1`,
        { id: analysis.id, version: analysis.version },
      )
      return stored?.write_id === writeId ? 'saved' : 'conflict'
    },

    async find(id, atMs) {
      const [row] = await selectRows<AnalysisRow>(
        store,
        `SELECT * FROM ${db}.analyses
                WHERE id = {id:String}
                  AND (version = 1 OR created_at <= fromUnixTimestamp64Milli({atMs:Int64}, 'UTC'))
                ORDER BY version DESC LIMIT 1`,
        { id, atMs: Math.floor(atMs ?? Number.MAX_SAFE_INTEGER) },
      )
      return row === undefined ? undefined : fromAnalysisRow(row)
    },

    async list({ service, limit }) {
      const rows = await selectRows<AnalysisRow>(
        store,
        `SELECT * FROM (
                  SELECT * FROM ${db}.analyses
                  WHERE {service:String} = '' OR service = {service:String}
                  ORDER BY id, version DESC LIMIT 1 BY id
                ) ORDER BY start_time DESC, id LIMIT {limit:UInt32}`,
        { service: service ?? '', limit },
      )
      return rows.map(fromAnalysisRow)
    },

    async recordVerdict(record) {
      await insertRows(store, {
        table: 'verdicts',
        rows: [toVerdictRow(record)],
        // Every poll is kept, even two in the same millisecond: the token is unique to this
        // write, and its own retries (inside insertRows) reuse it.
        deduplicationToken: toDeduplicationToken('verdict', [
          record.analysisId,
          record.recordedAtMs,
          record.requester,
          randomUUID(),
        ]),
      })
    },

    async recordDecisionChange(record, previous) {
      const after =
        previous === undefined
          ? ['none']
          : [previous.evaluatedAtMs, previous.recordedAtMs, previous.requester, previous.decision]
      await insertRows(store, {
        table: 'verdicts',
        rows: [toVerdictRow(record)],
        deduplicationToken: toDeduplicationToken('decision-change', [
          record.analysisId,
          ...after,
          record.decision,
        ]),
      })
    },

    async listVerdicts(analysisId, limit) {
      const rows = await selectRows<VerdictRow>(
        store,
        `SELECT * FROM ${db}.verdicts WHERE analysis_id = {id:String}
                ORDER BY evaluated_at DESC, recorded_at DESC LIMIT {limit:UInt32}`,
        { id: analysisId, limit },
      )
      return rows.map((row) => ({
        analysisId: row.analysis_id,
        evaluatedAtMs: Date.parse(row.evaluated_at),
        recordedAtMs: Date.parse(row.recorded_at),
        decision: row.decision,
        reasons: row.reasons,
        policyVersion: Number(row.policy_version),
        requester: row.requester,
        body: JSON.parse(row.body) as unknown,
      }))
    },
  }
}

function toVerdictRow(record: VerdictRecord): Record<string, unknown> {
  return {
    analysis_id: record.analysisId,
    evaluated_at: toDateTimeText(record.evaluatedAtMs),
    recorded_at: toDateTimeText(record.recordedAtMs),
    decision: record.decision,
    reasons: record.reasons,
    policy_version: record.policyVersion,
    requester: record.requester,
    body: JSON.stringify(record.body),
  }
}

function toAnalysisRow(analysis: AnalysisDefinition): Record<string, unknown> {
  return {
    id: analysis.id,
    version: analysis.version,
    created_at: toDateTimeText(analysis.createdAtMs),
    service: analysis.service,
    environment: analysis.environment,
    baseline: JSON.stringify(analysis.baseline),
    canary: JSON.stringify(analysis.canary),
    start_time: toDateTimeText(analysis.startMs),
    policy: JSON.stringify(analysis.policy ?? null),
  }
}

function fromAnalysisRow(row: AnalysisRow): AnalysisDefinition {
  return {
    id: row.id,
    version: Number(row.version),
    createdAtMs: Date.parse(row.created_at),
    service: row.service,
    environment: row.environment,
    baseline: JSON.parse(row.baseline) as CohortSelector,
    canary: JSON.parse(row.canary) as CohortSelector,
    startMs: Date.parse(row.start_time),
    policy: JSON.parse(row.policy) as unknown,
  }
}

/**
 * DateTime64(3, 'UTC') input as `YYYY-MM-DD hh:mm:ss.fff` in UTC. Not epoch seconds: ClickHouse
 * reads a short number such as `0.000` or `99999.000` as a date, so any time before 2001-09-09
 * failed to store.
 */
function toDateTimeText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}
