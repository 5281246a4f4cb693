import { RhError } from '../errors.ts'

export interface AdmissionOptions {
  /** Bytes of request bodies admitted and not yet answered, beyond which new ones are refused. */
  readonly maxInFlightBytes: number
  /** Requests decoded at once; the others wait, holding their admitted bytes. */
  readonly maxConcurrentDecodes: number
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
}

/** Seconds an over-budget client is asked to wait: about the time the admitted bodies take. */
export const OVER_BUDGET_RETRY_AFTER_SECONDS = 1

export function createAdmission(options: AdmissionOptions): Admission {
  let inFlightBytes = 0
  let decoding = 0
  const waiting: (() => void)[] = []

  const endTurn = (): void => {
    const next = waiting.shift()
    if (next === undefined) decoding--
    else next()
  }

  return {
    get inFlightBytes() {
      return inFlightBytes
    },

    admit(bytes) {
      // One request is always admitted, so that a body as large as the budget still gets in.
      if (inFlightBytes > 0 && inFlightBytes + bytes > options.maxInFlightBytes) {
        return new RhError(
          'RH_INGEST_SATURATED',
          `the receiver is busy with ${Math.round(inFlightBytes / 1_048_576)} MiB of requests (limit otlp.maxInFlightBytes, ${Math.round(options.maxInFlightBytes / 1_048_576)} MiB); retry later`,
          { retryAfterSeconds: OVER_BUDGET_RETRY_AFTER_SECONDS },
        )
      }
      inFlightBytes += bytes
      let released = false
      return {
        release() {
          if (released) return
          released = true
          inFlightBytes -= bytes
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

function once(action: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    action()
  }
}
