import { describe, expect, it } from 'vitest'
import { createAdmission, type Ticket } from '../../../src/ingest/admission.ts'
import { isRhError, type RhError } from '../../../src/errors.ts'

const MIB = 1_048_576

function admissionWithClock() {
  let clockMs = 0
  const admission = createAdmission({
    maxInFlightBytes: 64 * MIB,
    minInFlightBytes: 16 * MIB,
    maxConcurrentDecodes: 2,
    targetLatencyMs: 2_000,
    now: () => clockMs,
  })
  return { admission, advance: (ms: number) => (clockMs += ms) }
}

function admitted(result: Ticket | RhError): Ticket {
  if (isRhError(result)) throw result
  return result
}

describe('createAdmission', () => {
  it('admits within the budget and refuses past it with 429 and Retry-After', () => {
    const { admission } = admissionWithClock()
    const first = admitted(admission.admit(10 * MIB))
    admitted(admission.admit(6 * MIB))
    expect(admission.admit(1)).toMatchObject({ code: 'RH_INGEST_SATURATED', retryAfterSeconds: 1 })
    first.release()
    expect(isRhError(admission.admit(10 * MIB))).toBe(false)
  })

  it('always admits one request, even one larger than the budget', () => {
    const { admission } = admissionWithClock()
    expect(isRhError(admission.admit(100 * MIB))).toBe(false)
  })

  it('grows the budget while answers are quick, up to the maximum', () => {
    const { admission, advance } = admissionWithClock()
    for (let i = 0; i < 10; i++) {
      const ticket = admitted(admission.admit(8 * MIB))
      advance(100)
      ticket.release()
    }
    expect(admission.budgetBytes).toBe(64 * MIB)
  })

  it('halves the budget once for a round of slow answers, never below the minimum', () => {
    const { admission, advance } = admissionWithClock()
    for (let i = 0; i < 6; i++) admitted(admission.admit(8 * MIB)).release()
    expect(admission.budgetBytes).toBe(64 * MIB)
    const slow = [1, 2, 3, 4].map(() => admitted(admission.admit(8 * MIB)))
    advance(5_000)
    for (const ticket of slow) ticket.release()
    expect(admission.budgetBytes).toBe(32 * MIB)
    const slower = admitted(admission.admit(8 * MIB))
    advance(5_000)
    slower.release()
    const slowest = admitted(admission.admit(8 * MIB))
    advance(5_000)
    slowest.release()
    expect(admission.budgetBytes).toBe(16 * MIB)
  })

  it('lets a bounded number of requests decode at once, the rest in turn', async () => {
    const { admission } = admissionWithClock()
    const first = await admission.decodeTurn()
    await admission.decodeTurn()
    let thirdStarted = false
    const third = admission.decodeTurn().then(() => (thirdStarted = true))
    await Promise.resolve()
    expect(thirdStarted).toBe(false)
    first()
    first()
    await third
    expect(thirdStarted).toBe(true)
  })
})
