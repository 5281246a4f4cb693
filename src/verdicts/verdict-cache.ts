/**
 * Reuses a computed value for the same key while it is fresh, and makes concurrent callers
 * for one key share a single computation (a burst of controller polls costs one evaluation).
 */
export interface VerdictCache<T> {
  get(key: string, nowMs: number, compute: () => Promise<T>): Promise<T>
}

interface Entry<T> {
  readonly value: Promise<T>
  readonly expiresAtMs: number
}

export function createVerdictCache<T>(options: {
  ttlMs: number
  maxEntries: number
}): VerdictCache<T> {
  const entries = new Map<string, Entry<T>>()
  return {
    get(key, nowMs, compute) {
      const cached = entries.get(key)
      if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.value
      const value = compute()
      entries.delete(key)
      entries.set(key, { value, expiresAtMs: nowMs + options.ttlMs })
      // A failed evaluation is not kept: the next caller tries again.
      value.catch(() => entries.get(key)?.value === value && entries.delete(key))
      // Maps iterate in insertion order, so the first keys are the oldest.
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value
        if (oldest === undefined) break
        entries.delete(oldest)
      }
      return value
    },
  }
}
