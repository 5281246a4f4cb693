import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnalysesRepository } from '../../../src/store/analyses-repository.ts'
import { createStoreCohortSource } from '../../../src/store/store-cohort-source.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createVerdictService, type VerdictService } from '../../../src/verdicts/verdict-service.ts'
import { silentLogger } from '../../../src/logger.ts'
import { createMigratedTestStore, queryRows } from '../../helpers/store.ts'

let store: Store
let clockMs = Date.UTC(2026, 10, 22, 10, 0, 0)
let verdicts: VerdictService

beforeAll(async () => {
  store = await createMigratedTestStore()
  verdicts = createVerdictService({
    repository: createAnalysesRepository(store),
    cohorts: createStoreCohortSource(store, silentLogger),
    now: () => clockMs,
    cacheMs: 0,
    templates: {
      find: (service) => (service === 'templated' ? { alpha: 0.02 } : undefined),
      close: () => undefined,
    },
  })
})
afterAll(() => store.close())

const requester = { name: 'test', isController: false }

describe('analysis policies', () => {
  it("takes the service's template when created without a policy, and keeps it as its own", async () => {
    const analysis = await verdicts.create({
      service: 'templated',
      baseline: { release: '1' },
      canary: { release: '2' },
    })
    expect(analysis.policy).toEqual({ alpha: 0.02 })
    const other = await verdicts.create({
      service: 'plain',
      baseline: { release: '1' },
      canary: { release: '2' },
    })
    expect(other.policy).toEqual({})
  })

  it('makes a policy change a new version, judges from it on, and replays earlier times with the old one', async () => {
    const analysis = await verdicts.create({
      service: 'versioned',
      baseline: { release: '1' },
      canary: { release: '2' },
      policy: { alpha: 0.01 },
    })
    clockMs += 5 * 60_000
    const beforeChangeMs = clockMs
    const before = await verdicts.evaluate(analysis.id, { requester })
    clockMs += 60_000
    const changed = await verdicts.updatePolicy(analysis.id, { alpha: 0.05 })
    expect(changed?.version).toBe(2)
    clockMs += 60_000

    const after = await verdicts.evaluate(analysis.id, { requester })
    const replay = await verdicts.evaluate(analysis.id, { atMs: beforeChangeMs, requester })
    expect(before?.alpha.total).toBe(0.01)
    expect(after?.alpha.total).toBe(0.05)
    expect(replay?.alpha.total).toBe(0.01)

    const rows = await queryRows<{ version: string }>(
      store,
      `SELECT version FROM ${store.database}.analyses WHERE id = {id:String} ORDER BY version`,
      { id: analysis.id },
    )
    expect(rows.map((row) => Number(row.version))).toEqual([1, 2])
  })

  it('keeps every version after the table merges', async () => {
    await store.client.command({ query: `OPTIMIZE TABLE ${store.database}.analyses FINAL` })
    const [row] = await queryRows<{ versions: string }>(
      store,
      `SELECT count() AS versions FROM ${store.database}.analyses WHERE service = 'versioned'`,
    )
    expect(row?.versions).toBe('2')
  })
})
