import { describe, expect, it } from 'vitest'
import { ALL, expandGrafanaSql, type QueryContext } from '../../helpers/grafana-macros.ts'

/** The helper must expand queries as the plugin does, or the dashboard tests prove nothing. */
const context: QueryContext = {
  fromMs: 1_790_000_000_000,
  toMs: 1_790_003_600_500,
  intervalSeconds: 30,
  variables: {
    service: { current: "o'brien" },
    environment: { current: ALL, options: ['production', 'staging'] },
    release: { current: ['1.4.2', '1.5.0'], options: ['1.4.2', '1.5.0', '1.6.0'] },
    database: { current: 'release_health' },
  },
}

describe('expandGrafanaSql', () => {
  it.each([
    [
      '$__timeFilter(minute)',
      'minute >= toDateTime(1790000000) AND minute <= toDateTime(1790003600)',
    ],
    [
      '$__timeFilter_ms(ts)',
      'ts >= fromUnixTimestamp64Milli(1790000000000) AND ts <= fromUnixTimestamp64Milli(1790003600500)',
    ],
    ['$__timeInterval(minute)', 'toStartOfInterval(toDateTime(minute), INTERVAL 30 second)'],
    ['$__interval_s', '30'],
    ['$__fromTime', 'toDateTime(1790000000)'],
    ['$__toTime_ms', 'fromUnixTimestamp64Milli(1790003600500)'],
  ])('expands %s as the plugin backend does', (sql, expected) => {
    expect(expandGrafanaSql(sql, context)).toBe(expected)
  })

  it('quotes and escapes values for ${var:sqlstring}', () => {
    expect(expandGrafanaSql('service = ${service:sqlstring}', context)).toBe("service = 'o''brien'")
  })

  it('formats a multi-value selection as the plugin does, and All as every option', () => {
    expect(expandGrafanaSql('release IN ($release)', context)).toBe("release IN ('1.4.2','1.5.0')")
    expect(expandGrafanaSql('env IN (${environment:sqlstring})', context)).toBe(
      "env IN ('production','staging')",
    )
  })

  it('drops a $__conditionalAll condition when All is selected and keeps it otherwise', () => {
    const sql =
      'WHERE $__conditionalAll(environment IN (${environment:sqlstring}), $environment) AND $__conditionalAll(release IN (${release:sqlstring}), $release)'
    expect(expandGrafanaSql(sql, context)).toBe("WHERE 1=1 AND release IN ('1.4.2','1.5.0')")
  })

  it('puts a constant variable in as it is, e.g. the database name', () => {
    expect(expandGrafanaSql('FROM ${database}.spans', context)).toBe('FROM release_health.spans')
  })

  it('refuses a macro or variable it does not know, so a typo fails its dashboard test', () => {
    expect(() => expandGrafanaSql('WHERE $__timeFilterr(minute)', context)).toThrow(/unknown macro/)
    expect(() => expandGrafanaSql('WHERE service = $servcie', context)).toThrow(/\$servcie/)
  })
})
