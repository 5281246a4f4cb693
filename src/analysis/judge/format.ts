/** Number formatting for verdict sentences: fixed rules, no locale, so verdicts replay exactly. */

/** Three significant digits, without exponent for everyday magnitudes: 0.0123, 41.2, 12300. */
export function formatNumber(value: number | null, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return 'n/a'
  if (value === 0) return '0'
  const magnitude = Math.abs(value)
  if (magnitude >= 1e-4 && magnitude < 1e9) {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude)))
    return Number(value.toFixed(Math.min(decimals, 12))).toString()
  }
  return value.toPrecision(digits)
}

/** A fraction as a percentage: 0.01234 → "1.23%". */
export function formatPercent(fraction: number | null): string {
  return fraction === null || !Number.isFinite(fraction)
    ? 'n/a'
    : `${formatNumber(fraction * 100)}%`
}

/** A relative change with its sign: 0.25 → "+25%", −0.1 → "−10%". */
export function formatChange(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return 'n/a'
  return `${fraction >= 0 ? '+' : '-'}${formatPercent(Math.abs(fraction))}`
}

/** A signed difference in a unit: "+12.3 ms". */
export function formatDifference(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'n/a'
  return `${value >= 0 ? '+' : '-'}${formatNumber(Math.abs(value))}${unit}`
}

/** An effect on its scale: relative as a signed percentage, absolute as a signed number. */
export function formatEffect(
  value: number | null,
  scale: 'relative' | 'absolute',
  unit: string,
): string {
  return scale === 'relative' ? formatChange(value) : formatDifference(value, unit)
}

/** An interval of effects; null ends are shown as unbounded. */
export function formatInterval(
  interval: readonly [number | null, number | null],
  scale: 'relative' | 'absolute',
  unit: string,
): string {
  const [low, high] = interval
  const lowText = low === null ? '-inf' : formatEffect(low, scale, unit)
  const highText = high === null ? '+inf' : formatEffect(high, scale, unit)
  return `[${lowText}, ${highText}]`
}

/** A duration in words: 95 → "1m 35s", 7200 → "2h". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  const parts = [
    hours > 0 ? `${hours}h` : '',
    minutes > 0 ? `${minutes}m` : '',
    rest > 0 ? `${rest}s` : '',
  ]
  const text = parts.filter((part) => part !== '').join(' ')
  return text === '' ? '0s' : text
}
