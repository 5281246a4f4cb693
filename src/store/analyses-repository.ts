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

export interface AnalysesRepository {
  save(analysis: AnalysisDefinition): Promise<void>
  /**
   * The newest version of an analysis, or the version in force at `atMs` (the newest created
   * at or before it; the first when all are later), or undefined when there is none.
   */
  find(id: string, atMs?: number): Promise<AnalysisDefinition | undefined>
  /** Newest analyses first (latest version of each), optionally of one service. */
  list(options: { service?: string; limit: number }): Promise<AnalysisDefinition[]>
  recordVerdict(record: VerdictRecord): Promise<void>
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
    async save(analysis) {
      await insertRows(store, {
        table: 'analyses',
        rows: [toAnalysisRow(analysis)],
        // Ids and requesters may come from requests: only their digest reaches the setting.
        deduplicationToken: toDeduplicationToken('analysis', [analysis.id, analysis.version]),
      })
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
        rows: [
          {
            analysis_id: record.analysisId,
            evaluated_at: toDateTimeText(record.evaluatedAtMs),
            recorded_at: toDateTimeText(record.recordedAtMs),
            decision: record.decision,
            reasons: record.reasons,
            policy_version: record.policyVersion,
            requester: record.requester,
            body: JSON.stringify(record.body),
          },
        ],
        deduplicationToken: toDeduplicationToken('verdict', [
          record.analysisId,
          record.recordedAtMs,
          record.requester,
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
