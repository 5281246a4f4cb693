import { describe, expect, it } from 'vitest'
import { createFlowControl } from '../../../src/ingest/kafka/consumer/flow-control.ts'

/** A partition's pause function that records whether it is paused. */
function partition(): { paused: boolean; pause: () => () => void } {
  const state = {
    paused: false,
    pause: () => {
      state.paused = true
      return () => {
        state.paused = false
      }
    },
  }
  return state
}

describe('createFlowControl', () => {
  it('lets partitions fetch while fewer rows than the limit are held', () => {
    const flow = createFlowControl(100)
    const p = partition()
    flow.hold(99)
    flow.pauseIfSaturated(p.pause)
    expect(p.paused).toBe(false)
  })

  it('pauses the partitions that deliver once the limit is reached', () => {
    const flow = createFlowControl(100)
    const [a, b] = [partition(), partition()]
    flow.hold(100)
    flow.pauseIfSaturated(a.pause)
    flow.pauseIfSaturated(b.pause)
    expect([a.paused, b.paused]).toEqual([true, true])
  })

  it('resumes every paused partition once written rows bring it below the limit', () => {
    const flow = createFlowControl(100)
    const [a, b] = [partition(), partition()]
    flow.hold(150)
    flow.pauseIfSaturated(a.pause)
    flow.pauseIfSaturated(b.pause)
    flow.release(40)
    expect([a.paused, b.paused]).toEqual([true, true])
    flow.release(20)
    expect([a.paused, b.paused]).toEqual([false, false])
    expect(flow.heldRows).toBe(90)
  })
})
