import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import {
  INGEST_GC_FLAGS,
  settleGarbageCollectorTuning,
  tuneGarbageCollectorAtStart,
} from '../../../src/cli/tune-garbage-collector.ts'
import { silentLogger } from '../../../src/logger.ts'

const MODULE = new URL('../../../src/cli/tune-garbage-collector.ts', import.meta.url).href

/**
 * The size V8 gives its young generation after a churn of objects, some of which survive, in
 * a fresh Node process started as `release-health <command>` and, when `settle` says so,
 * configured with runtime.tuneGarbageCollector = `settle`.
 */
function youngGenerationAfterChurn(
  command: string,
  settle?: boolean,
  undoBecause?: string,
): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8'
    import * as gc from ${JSON.stringify(MODULE)}
    const tuning = gc.tuneGarbageCollectorAtStart({ argv: ['node', 'rh', '${command}'], nodeFlags: [] })
    const logger = { debug() {}, info() {}, warn() {}, error() {} }
    ${settle === undefined ? '' : `gc.settleGarbageCollectorTuning({ enabled: ${settle}, tuning, logger, undoBecause: ${JSON.stringify(undoBecause)} })`}
    const kept = new Array(20000)
    for (let i = 0; i < 2000000; i++) kept[i % kept.length] = { i, list: [i, i + 1], text: 'x' + i }
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
    console.log(young.space_size)
  `
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  )
}

const MIB = 1024 * 1024

describe('garbage collector tuning', () => {
  it('keeps the young generation of serve at its starting size, which V8 otherwise grows to 32 MiB', () => {
    // Tuned, it stays at 2 MiB, now and then 5 MiB (V8 rounds to pages); untuned it reaches 32-64.
    expect(youngGenerationAfterChurn('report')).toBeGreaterThanOrEqual(16 * MIB)
    expect(youngGenerationAfterChurn('serve')).toBeLessThanOrEqual(8 * MIB)
    expect(youngGenerationAfterChurn('serve', true)).toBeLessThanOrEqual(8 * MIB)
  })

  it('gives V8 its own sizing back when runtime.tuneGarbageCollector is false', () => {
    expect(youngGenerationAfterChurn('serve', false)).toBeGreaterThanOrEqual(16 * MIB)
  })

  it('gives V8 its own sizing back to a serve that consumes Kafka too', () => {
    expect(youngGenerationAfterChurn('serve', true, 'serve consumes Kafka')).toBeGreaterThanOrEqual(
      16 * MIB,
    )
  })

  it('sets both flags as serve starts', () => {
    const set: string[] = []
    const tuning = tuneGarbageCollectorAtStart({
      argv: ['node', 'release-health', 'serve', '--config', 'rh.yaml'],
      nodeFlags: ['--enable-source-maps'],
      setFlags: (flag) => set.push(flag),
    })
    expect(set).toEqual(INGEST_GC_FLAGS)
    expect(tuning.applied).toEqual(INGEST_GC_FLAGS)
  })

  it.each([['report'], ['ingest-kafka']])('leaves %s as V8 sizes it', (command) => {
    // The Kafka worker decodes on its main thread, where the tuning costs it throughput.
    const set: string[] = []
    tuneGarbageCollectorAtStart({
      argv: ['node', 'release-health', command],
      nodeFlags: [],
      setFlags: (flag) => set.push(flag),
    })
    expect(set).toEqual([])
  })

  it.each([['--max-semi-space-size=64'], ['--heap-growing-percent=50'], ['--min-semi-space-size']])(
    'leaves the heaps as the operator sized them with %s, and says so once configured',
    (flag) => {
      const set: string[] = []
      const tuning = tuneGarbageCollectorAtStart({
        argv: ['node', 'release-health', 'serve'],
        nodeFlags: ['--enable-source-maps', flag],
        setFlags: (value) => set.push(value),
      })
      const logged: unknown[] = []
      settleGarbageCollectorTuning({
        enabled: true,
        tuning,
        logger: { ...silentLogger, info: (fields: unknown) => logged.push(fields) },
        setFlags: (value) => set.push(value),
      })
      expect(set).toEqual([])
      expect(logged).toEqual([{ flags: [flag] }])
    },
  )
})
