import { describe, expect, it } from 'vitest'
import { findUnknownEnvNames, knownEnvNames } from '../../../src/config/env-names.ts'

describe('findUnknownEnvNames', () => {
  it('names an RH_ variable that no setting reads, with the setting it was likely meant as', () => {
    expect(
      findUnknownEnvNames({
        RH_CLICKHOUSE_URI: 'http://ch:8123',
        RH_CLICKHOUSE_URL: 'http://ch:8123',
        RH_KAFKA_BROKER: 'kafka:9092',
        RH_SOMETHING_ELSE: '1',
        PATH: '/usr/bin',
      }),
    ).toEqual([
      { name: 'RH_CLICKHOUSE_URI', suggestion: 'RH_CLICKHOUSE_URL' },
      { name: 'RH_KAFKA_BROKER', suggestion: 'RH_KAFKA_BROKERS' },
      { name: 'RH_SOMETHING_ELSE', suggestion: undefined },
    ])
  })

  it('accepts every config key, the names the caller reads itself, and the test suite’s RH_TEST_ variables', () => {
    const env = Object.fromEntries([...knownEnvNames()].map((name) => [name, 'x']))
    expect(env).toHaveProperty('RH_OTLP_HTTP_PORT')
    expect(
      findUnknownEnvNames({ ...env, RH_LOG_LEVEL: 'debug', RH_TEST_CLICKHOUSE_URL: 'x' }, [
        'RH_LOG_LEVEL',
      ]),
    ).toEqual([])
  })
})
