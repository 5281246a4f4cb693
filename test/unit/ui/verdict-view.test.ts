import { describe, expect, it } from 'vitest'
import {
  describeMissing,
  missingList,
  reasonsList,
  uniqueReasons,
} from '../../../src/api/ui/verdict-view.js'

describe('reasonsList', () => {
  it('says an identical reason once, where it first came', () => {
    const guard = 'budget guard: the canary burns its error budget at 20× over 5m ...'
    expect(uniqueReasons([guard, 'error-rate: worse', guard])).toEqual([guard, 'error-rate: worse'])
    expect(reasonsList([guard, guard]).markup.match(/<li>/g)).toHaveLength(1)
  })
})

describe('missingList', () => {
  it('says, item by item, what a continue verdict still waits for', () => {
    expect(
      [
        { kind: 'duration', haveSeconds: 360, needSeconds: 600 },
        { kind: 'samples', metric: 'error-rate', cohort: 'canary', have: 766, need: 1000 },
        { kind: 'evidence', metric: 'latency-p95' },
        { kind: 'data', cohort: 'baseline', error: 'store unreachable' },
      ].map((item) => describeMissing(item as Parameters<typeof describeMissing>[0])),
    ).toEqual([
      'time: 4m more (run 6m of the 10m minimum)',
      'requests: the canary needs 234 more for error-rate (has 766 of 1,000)',
      'evidence: latency-p95 is not decided yet at the current amount of data',
      'data: the baseline query failed (store unreachable)',
    ])
  })

  it('shows nothing when nothing is missing', () => {
    expect(missingList([])).toBe('')
    expect(missingList(undefined)).toBe('')
  })
})
