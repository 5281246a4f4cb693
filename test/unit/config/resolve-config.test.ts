import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KEYS_WITH_NUMBER_RULES } from '../../../src/config/number-rules.ts'
import { resolveConfig, toEnvName } from '../../../src/config/resolve-config.ts'

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'rh-config-')), 'release-health.yaml')
  writeFileSync(path, text)
  return path
}

describe('resolveConfig', () => {
  it('gives the defaults with no file and no environment', () => {
    const config = resolveConfig({ file: configFile(''), env: {} })
    expect(config.clickhouse.url).toBe('')
    expect(config.otlp.http.port).toBe(4318)
    expect(config.api.port).toBe(8080)
  })

  it('lets the file override defaults, the environment override the file, and flags override both', () => {
    const file = configFile(
      'api:\n  port: 9000\nclickhouse:\n  database: from_file\n  url: http://file:8123\n',
    )
    const config = resolveConfig({
      file,
      env: { RH_API_PORT: '9100', RH_CLICKHOUSE_DATABASE: 'from_env' },
      overrides: { 'clickhouse.database': 'from_flag' },
    })
    expect(config.api.port).toBe(9100)
    expect(config.clickhouse.url).toBe('http://file:8123')
    expect(config.clickhouse.database).toBe('from_flag')
  })

  it('reads comma-separated lists from the environment', () => {
    const config = resolveConfig({
      file: configFile(''),
      env: { RH_KAFKA_BROKERS: 'a:9092, b:9092' },
    })
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092'])
  })

  it('returns a frozen object', () => {
    const config = resolveConfig({ file: configFile(''), env: {} })
    expect(Object.isFrozen(config.otlp.http)).toBe(true)
  })

  it.each([
    ['an unknown key', 'api:\n  prot: 1\n', /unknown config key "api.prot"/],
    [
      'a string where a number belongs',
      'api:\n  port: eighty\n',
      /"api.port" must be a whole number from 0 to 65535, got "eighty"/,
    ],
    ['a scalar where a mapping belongs', 'otlp: 4318\n', /"otlp" must be a mapping, got 4318/],
    [
      'a list of numbers where strings belong',
      'kafka:\n  brokers: [1, 2]\n',
      /"kafka.brokers" must be a list of strings/,
    ],
    ['invalid YAML', 'api: [\n', /not valid YAML/],
  ])('names the key and the bad value for %s', (_name, text, message) => {
    expect(() => resolveConfig({ file: configFile(text), env: {} })).toThrow(message)
  })

  it('names the environment variable that holds a bad value', () => {
    expect(() =>
      resolveConfig({ file: configFile(''), env: { RH_WRITER_FLUSH_INTERVAL_MS: '-5' } }),
    ).toThrow(
      /"writer.flushIntervalMs \(RH_WRITER_FLUSH_INTERVAL_MS\)" must be a whole number of at least 0, got "-5"/,
    )
  })

  it.each([
    ['kafka.maxBatchRows', 0, /"kafka.maxBatchRows" must be a whole number of at least 1, got 0/],
    [
      'otlp.maxConcurrentDecodes',
      0,
      /"otlp.maxConcurrentDecodes" must be a whole number of at least 1, got 0/,
    ],
    ['api.port', 70000, /"api.port" must be a whole number from 0 to 65535, got 70000/],
    [
      'writer.flushIntervalMs',
      2.5,
      /"writer.flushIntervalMs" must be a whole number of at least 0/,
    ],
  ])('refuses %s = %s', (key, value, message) => {
    expect(() =>
      resolveConfig({ file: configFile(''), env: {}, overrides: { [key]: value } }),
    ).toThrow(message)
  })

  it('keeps 0 where it means something: decode on the main thread, no verdict cache, any free port', () => {
    const config = resolveConfig({
      file: configFile('kafka:\n  decodeThreads: 0\napi:\n  verdictCacheMs: 0\n  port: 0\n'),
      env: {},
    })
    expect([config.kafka.decodeThreads, config.api.verdictCacheMs, config.api.port]).toEqual([
      0, 0, 0,
    ])
  })

  it('has a rule only for keys that exist and hold numbers', () => {
    const defaults = resolveConfig({ file: configFile(''), env: {} }) as unknown as Record<
      string,
      unknown
    >
    for (const key of KEYS_WITH_NUMBER_RULES) {
      const value = key
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], defaults)
      expect(typeof value, key).toBe('number')
    }
  })

  it('explains a config file that cannot be read', () => {
    expect(() => resolveConfig({ file: '/nonexistent/rh.yaml', env: {} })).toThrow(
      /cannot read config file \/nonexistent\/rh.yaml/,
    )
  })
})

describe('toEnvName', () => {
  it.each([
    ['otlp.http.port', 'RH_OTLP_HTTP_PORT'],
    ['clickhouse.dataPath', 'RH_CLICKHOUSE_DATA_PATH'],
    ['writer.maxBatchRows', 'RH_WRITER_MAX_BATCH_ROWS'],
  ])('maps %s to %s', (key, name) => {
    expect(toEnvName(key)).toBe(name)
  })
})
