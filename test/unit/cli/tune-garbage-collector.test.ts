import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { INGEST_GC_FLAGS, tuneGarbageCollector } from '../../../src/cli/tune-garbage-collector.ts'
import { silentLogger } from '../../../src/logger.ts'

const MODULE = new URL('../../../src/cli/tune-garbage-collector.ts', import.meta.url).href

/**
 * The size V8 gives its young generation after a churn of objects, some of which survive, in
 * a fresh Node process that first calls tuneGarbageCollector with `enabled`.
 */
function youngGenerationAfterChurn(enabled: boolean): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8'
    import { tuneGarbageCollector } from ${JSON.stringify(MODULE)}
    const logger = { debug() {}, info() {}, warn() {}, error() {} }
    tuneGarbageCollector({ enabled: ${enabled}, nodeFlags: [], logger })
    const kept = new Array(20000)
    for (let i = 0; i < 2000000; i++) kept[i % kept.length] = { i, list: [i, i + 1], text: 'x' + i }
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
    console.log(young.space_size)
  `
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  )
}

describe('tuneGarbageCollector', () => {
  it('keeps the young generation at its starting size, which V8 otherwise grows to 32 MiB', () => {
    const untouched = youngGenerationAfterChurn(false)
    const tuned = youngGenerationAfterChurn(true)
    expect(untouched).toBeGreaterThanOrEqual(16 * 1024 * 1024)
    expect(tuned).toBeLessThanOrEqual(4 * 1024 * 1024)
  })

  it('sets both ingest flags when enabled and Node was given no heap flags', () => {
    const set: string[] = []
    const applied = tuneGarbageCollector({
      enabled: true,
      nodeFlags: ['--enable-source-maps'],
      logger: silentLogger,
      setFlags: (flag) => set.push(flag),
    })
    expect(set).toEqual(INGEST_GC_FLAGS)
    expect(applied).toEqual(INGEST_GC_FLAGS)
  })

  it.each([['--max-semi-space-size=64'], ['--heap-growing-percent=50'], ['--min-semi-space-size']])(
    'leaves the heaps as the operator sized them with %s',
    (flag) => {
      const set: string[] = []
      const logged: unknown[] = []
      const applied = tuneGarbageCollector({
        enabled: true,
        nodeFlags: ['--enable-source-maps', flag],
        logger: { ...silentLogger, info: (fields: unknown) => logged.push(fields) },
        setFlags: (value) => set.push(value),
      })
      expect(set).toEqual([])
      expect(applied).toEqual([])
      expect(logged).toEqual([{ flags: [flag] }])
    },
  )

  it('does nothing when runtime.tuneGarbageCollector is false', () => {
    const set: string[] = []
    tuneGarbageCollector({
      enabled: false,
      nodeFlags: [],
      logger: silentLogger,
      setFlags: (flag) => set.push(flag),
    })
    expect(set).toEqual([])
  })
})
