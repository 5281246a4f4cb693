const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/

/**
 * Seconds in a duration written as `90s`, `10m`, `2h`, `1h30m`, or a number of seconds;
 * undefined when the value is neither.
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = DURATION.exec(value.trim())
  if (match === null || value.trim() === '') return undefined
  const [, hours, minutes, seconds] = match
  return Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0)
}

/** A fraction written as a number (0.999) or a percentage string ("99.9%"); undefined otherwise. */
export function parseFraction(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = /^(-?\d+(?:\.\d+)?)\s*%$/.exec(value.trim())
  // Shifting the exponent in the text keeps "99.9%" exactly 0.999 (99.9 / 100 is not).
  return match === null ? undefined : Number(`${match[1]}e-2`)
}
