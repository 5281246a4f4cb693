import type { TrainDefinition, TrainMember } from '../verdicts/train-definition.ts'
import { insertRows } from './insert-rows.ts'
import { toDateTimeText } from './date-time-text.ts'
import { toDeduplicationToken } from './safe-settings.ts'
import { selectRows } from './select-rows.ts'
import type { Store } from './store-client.ts'

/** Release trains in the `trains` table (migration 8); their verdicts go to `verdicts`. */
export interface TrainsRepository {
  save(train: TrainDefinition): Promise<void>
  /** The newest version, or the one in force at `atMs`; undefined when there is none. */
  find(id: string, atMs?: number): Promise<TrainDefinition | undefined>
  /** Newest trains first (latest version of each), optionally with a member of one service. */
  list(options: { service?: string; limit: number }): Promise<TrainDefinition[]>
}

interface TrainRow {
  id: string
  version: number | string
  created_at: string
  name: string
  environment: string
  start_time: string
  members: string
  policy: string
}

export function createTrainsRepository(store: Store): TrainsRepository {
  const db = store.database
  return {
    async save(train) {
      await insertRows(store, {
        table: 'trains',
        rows: [
          {
            id: train.id,
            version: train.version,
            created_at: toDateTimeText(train.createdAtMs),
            name: train.name,
            environment: train.environment,
            start_time: toDateTimeText(train.startMs),
            members: JSON.stringify(train.members),
            policy: JSON.stringify(train.policy ?? null),
          },
        ],
        deduplicationToken: toDeduplicationToken('train', [train.id, train.version]),
      })
    },

    async find(id, atMs) {
      const [row] = await selectRows<TrainRow>(
        store,
        `SELECT * FROM ${db}.trains
         WHERE id = {id:String}
           AND (version = 1 OR created_at <= fromUnixTimestamp64Milli({atMs:Int64}, 'UTC'))
         ORDER BY version DESC LIMIT 1`,
        { id, atMs: Math.floor(atMs ?? Number.MAX_SAFE_INTEGER) },
      )
      return row === undefined ? undefined : fromRow(row)
    },

    async list({ service, limit }) {
      const rows = await selectRows<TrainRow>(
        store,
        `SELECT * FROM (
           SELECT * FROM ${db}.trains ORDER BY id, version DESC LIMIT 1 BY id
         )
         WHERE {service:String} = ''
            OR arrayExists(
                 member -> JSONExtractString(member, 'service') = {service:String},
                 JSONExtractArrayRaw(members))
         ORDER BY start_time DESC, id LIMIT {limit:UInt32}`,
        { service: service ?? '', limit },
      )
      return rows.map(fromRow)
    },
  }
}

function fromRow(row: TrainRow): TrainDefinition {
  return {
    id: row.id,
    version: Number(row.version),
    createdAtMs: Date.parse(row.created_at),
    name: row.name,
    environment: row.environment,
    startMs: Date.parse(row.start_time),
    members: JSON.parse(row.members) as TrainMember[],
    policy: JSON.parse(row.policy) as unknown,
  }
}
