import { RhError } from '../errors.ts'

export interface AdmissionOptions {
  /** Bytes of request bodies admitted and not yet answered, at most. */
  readonly maxInFlightBytes: number
  /** Requests decoded at once; the others wait, holding their admitted bytes. */
  readonly maxConcurrentDecodes: number
  /**
   * How long an admitted request should take at most, from admission to answer. The budget
   * adapts to it: it shrinks by half when answers take longer, and grows again while they
   * come in under half of it (additive increase, multiplicative decrease, as TCP does), so
   * that a busy machine admits less and answers what it admits in time.
   */
  readonly targetLatencyMs: number
  /** The budget to start from and never go below: typically one body of the largest size. */
  readonly minInFlightBytes: number
  /** Milliseconds since some fixed point; injectable for tests. */
  readonly now?: () => number
}

/** A request's claim on the in-flight budget; released once it is answered. */
export interface Ticket {
  release(): void
}

/**
 * Load shedding for the ingest doors, before any work is done: a request is admitted only if
 * its body (declared by Content-Length, or the largest allowed when undeclared) fits the
 * in-flight byte budget, and refused at once otherwise, so that a flood is answered within
 * moments with 429 and `Retry-After` instead of being read, decoded and queued until memory
 * runs out. Admitted requests then take turns at decoding, a few at a time.
 */
export interface Admission {
  /** A ticket for `bytes`, or the error to answer with when the budget is spent. */
  admit(bytes: number): Ticket | RhError
  /** Waits for a decoding turn; call the returned function when done decoding. */
  decodeTurn(): Promise<() => void>
  readonly inFlightBytes: number
  /** The budget now, between `minInFlightBytes` and `maxInFlightBytes`. */
  readonly budgetBytes: number
}

/** Seconds an over-budget client is asked to wait: about the time the admitted bodies take. */
export const OVER_BUDGET_RETRY_AFTER_SECONDS = 1

export function createAdmission(options: AdmissionOptions): Admission {
  const now = options.now ?? (() => performance.now())
  let inFlightBytes = 0
  let budgetBytes = Math.min(options.maxInFlightBytes, options.minInFlightBytes)
  // A slow answer halves the budget once per round of requests, not once per slow request:
  // those admitted before the cut were admitted under the old budget.
  let lastCutMs = Number.NEGATIVE_INFINITY
  let decoding = 0
  const waiting: (() => void)[] = []

  const endTurn = (): void => {
    const next = waiting.shift()
    if (next === undefined) decoding--
    else next()
  }

  const adapt = (bytes: number, admittedMs: number): void => {
    const tookMs = now() - admittedMs
    if (tookMs > options.targetLatencyMs) {
      if (admittedMs > lastCutMs) {
        budgetBytes = Math.max(options.minInFlightBytes, budgetBytes / 2)
        lastCutMs = now()
      }
    } else if (tookMs < options.targetLatencyMs / 2) {
      budgetBytes = Math.min(options.maxInFlightBytes, budgetBytes + bytes)
    }
  }

  return {
    get inFlightBytes() {
      return inFlightBytes
    },

    get budgetBytes() {
      return budgetBytes
    },

    admit(bytes) {
      // One request is always admitted, so that a body as large as the budget still gets in.
      if (inFlightBytes > 0 && inFlightBytes + bytes > budgetBytes) {
        return new RhError(
          'RH_INGEST_SATURATED',
          `the receiver is busy with ${toMiB(inFlightBytes)} MiB of requests (its budget now ${toMiB(budgetBytes)} MiB, at most otlp.maxInFlightBytes); retry later`,
          { retryAfterSeconds: OVER_BUDGET_RETRY_AFTER_SECONDS },
        )
      }
      inFlightBytes += bytes
      const admittedMs = now()
      let released = false
      return {
        release() {
          if (released) return
          released = true
          inFlightBytes -= bytes
          adapt(bytes, admittedMs)
        },
      }
    },

    decodeTurn() {
      if (decoding < options.maxConcurrentDecodes) {
        decoding++
        return Promise.resolve(once(endTurn))
      }
      return new Promise((resolve) => waiting.push(() => resolve(once(endTurn))))
    },
  }
}

function toMiB(bytes: number): number {
  return Math.round(bytes / 1_048_576)
}

function once(action: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    action()
  }
}
