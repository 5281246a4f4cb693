import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parsePolicy } from '../../../src/analysis/index.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createSpanSources } from '../../../src/store/span-sources.ts'
import { recordOtelRollupState, toOtelRollupDefinition } from '../../../src/store/otel-rollup.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { createMigratedTestStore } from '../../helpers/store.ts'

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

function sourcesFor(table: string, readByDefault: boolean) {
  return createSpanSources({
    store,
    config: {
      clickhouse: { ...DEFAULT_CONFIG.clickhouse, otelTraces: { table, readByDefault } },
      mapping: DEFAULT_CONFIG.mapping,
    },
  })
}

const OWN = 'spans'
const VIEW = 'otel_spans'
describe('createSpanSources', () => {
  it.each([
    // policy, then the table read by an instance that reads the exporter's table by default,
    // and by one that reads it only when asked
    ['no source', {}, VIEW, OWN],
    ['source: spans', { source: 'spans' }, VIEW, OWN],
    ['source: otel_traces', { source: 'otel_traces' }, VIEW, VIEW],
    [
      'source: { kind: spans, table: spans }',
      { source: { kind: 'spans', table: 'spans' } },
      OWN,
      OWN,
    ],
    // A metrics source reads no spans; a service-level chart beside it reads the default's.
    ['source: metrics', { source: 'metrics' }, VIEW, OWN],
  ])(
    'reads the spans of a policy with %s from the table it names, else from the instance default',
    async (_name, policy, byDefault, onlyWhenAsked) => {
      const source = parsePolicy(policy).source
      const read = async (readByDefault: boolean) =>
        (await sourcesFor('otel.otel_traces', readByDefault).tablesFor(source)).spans
      expect(await read(true)).toBe(`${store.database}.${byDefault}`)
      expect(await read(false)).toBe(`${store.database}.${onlyWhenAsked}`)
    },
  )

  it("reads release-health's own spans for every analysis on an instance without an exporter table", async () => {
    const sources = sourcesFor('', true)
    expect(sources.available).toEqual({ otelTraces: false })
    expect((await sources.tablesFor(undefined)).spans).toBe(`${store.database}.spans`)
  })

  it('picks up a rollup completed while it runs within one lookup period, and stops reading a dropped one as quickly', async () => {
    let clock = 0
    const sources = createSpanSources({
      store,
      config: {
        clickhouse: {
          ...DEFAULT_CONFIG.clickhouse,
          otelTraces: { table: 'otel.otel_traces', readByDefault: true },
        },
        mapping: DEFAULT_CONFIG.mapping,
      },
      now: () => clock,
      rollupLookupMs: 10_000,
    })
    const hasRollup = async () => (await sources.tablesFor(undefined)).rollups !== undefined
    expect(await hasRollup()).toBe(false)
    const entry = {
      readTable: 'otel.otel_traces',
      insertTable: 'otel.otel_traces',
      definition: toOtelRollupDefinition('otel.otel_traces', DEFAULT_CONFIG.mapping),
      cutoverMs: Date.UTC(2026, 10, 20, 10, 0),
    }
    const complete = await recordOtelRollupState(
      store,
      { ...entry, state: 'complete' },
      { nowMs: Date.now(), previous: undefined },
    )
    clock = 9_999
    expect(await hasRollup()).toBe(false)
    clock = 10_000
    expect(await hasRollup()).toBe(true)
    await recordOtelRollupState(
      store,
      { ...entry, state: 'dropped' },
      { nowMs: Date.now(), previous: complete },
    )
    clock = 20_000
    expect(await hasRollup()).toBe(false)
  })

  it('refuses to read the exporter table for an analysis stored before the table was unset', async () => {
    await expect(
      sourcesFor('', true).tablesFor(parsePolicy({ source: 'otel_traces' }).source),
    ).rejects.toMatchObject({ code: 'RH_POLICY_SOURCE_UNAVAILABLE' })
  })
})
