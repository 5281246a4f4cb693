/**
 * DateTime64(3, 'UTC') input as `YYYY-MM-DD hh:mm:ss.fff` in UTC. Not epoch seconds: ClickHouse
 * reads a short number such as `0.000` as a date, so times before 2001-09-09 would fail to store.
 */
export function toDateTimeText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}
