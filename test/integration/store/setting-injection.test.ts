import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import { insertRows } from '../../../src/store/insert-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

/**
 * The embedded connection sends settings as `SET name = '...'`, escaping `'` but not `\`
 * (issue 9.1). Text from requests reaches the store's writes as data only: the verdict
 * audit trail keeps any requester verbatim, and a setting value that could break out of its
 * literal is refused before anything is sent.
 */
const INJECTED = uniqueName('rh_injected')
const BREAKOUT = `\\'; CREATE TABLE default.${INJECTED} (x UInt8) ENGINE = Memory; --`

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

async function injectedTables(): Promise<unknown[]> {
  return queryRows(store, 'SELECT name FROM system.tables WHERE startsWith(name, {p:String})', {
    p: INJECTED,
  })
}

describe('the store under setting injection', () => {
  it('records a verdict whose requester and analysis id hold SQL, as data', async () => {
    const repository = createAnalysesRepository(store)
    for (const requester of ['x\\', "'", BREAKOUT, 'nul\u0000', 'é中🚀']) {
      const analysisId = `a-${requester}`
      await repository.recordVerdict({
        analysisId,
        evaluatedAtMs: 1_795_000_000_000,
        recordedAtMs: 1_795_000_000_123,
        decision: 'continue',
        reasons: ['not enough data'],
        policyVersion: 1,
        requester,
        body: { decision: 'continue' },
      })
      const [recorded] = await repository.listVerdicts(analysisId, 1)
      expect(recorded?.requester).toBe(requester)
    }
    expect(await injectedTables()).toEqual([])
  })

  it('refuses a deduplication token that could leave its literal, and writes nothing', async () => {
    await expect(
      insertRows(store, {
        table: 'verdicts',
        rows: [{ analysis_id: 'refused', decision: 'continue' }],
        deduplicationToken: BREAKOUT,
        retry: { delaysMs: [] },
      }),
    ).rejects.toThrow(/refused ClickHouse setting "insert_deduplication_token"/)
    expect(await injectedTables()).toEqual([])
    const rows = await queryRows(
      store,
      `SELECT 1 FROM ${store.database}.verdicts WHERE analysis_id = 'refused'`,
    )
    expect(rows).toEqual([])
  })
})
