import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { resolveConfig } from '../../../src/config/resolve-config.ts'
import {
  isCleartextPassword,
  toKafkaSecurity,
} from '../../../src/ingest/kafka/security/kafka-security.ts'

type KafkaConfig = Config['kafka']

function kafka(overrides: {
  tls?: Partial<KafkaConfig['tls']>
  sasl?: Partial<KafkaConfig['sasl']>
}): KafkaConfig {
  return {
    ...DEFAULT_CONFIG.kafka,
    tls: { ...DEFAULT_CONFIG.kafka.tls, ...overrides.tls },
    sasl: { ...DEFAULT_CONFIG.kafka.sasl, ...overrides.sasl },
  }
}

describe('toKafkaSecurity', () => {
  it('connects without TLS or SASL by default', () => {
    expect(toKafkaSecurity(DEFAULT_CONFIG.kafka)).toEqual({
      description: { tls: false, sasl: 'none' },
    })
  })

  it('reads the SASL settings from RH_KAFKA_* variables', () => {
    const config = resolveConfig({
      file: '/dev/null',
      env: {
        RH_KAFKA_TLS_ENABLED: 'true',
        RH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        RH_KAFKA_SASL_USERNAME: 'worker',
        RH_KAFKA_SASL_PASSWORD: 'pw',
      },
    })
    expect(toKafkaSecurity(config.kafka)).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'worker', password: 'pw' },
      description: { tls: true, sasl: 'scram-sha-512', username: 'worker' },
    })
  })

  it('names the missing credential of a SASL mechanism', () => {
    expect(() => toKafkaSecurity(kafka({ sasl: { mechanism: 'plain', username: 'u' } }))).toThrow(
      /SASL PLAIN needs kafka.sasl.username and a password/,
    )
  })

  it('refuses an unknown mechanism, naming the key', () => {
    expect(() => toKafkaSecurity(kafka({ sasl: { mechanism: 'gssapi' } }))).toThrow(
      /"kafka.sasl.mechanism" must be one of plain, scram-sha-256, scram-sha-512, oauthbearer/,
    )
  })

  it('needs both a client certificate and its key', () => {
    expect(() =>
      toKafkaSecurity(kafka({ tls: { enabled: true, certFile: '/etc/client.pem' } })),
    ).toThrow(/both kafka.tls.certFile and kafka.tls.keyFile/)
  })

  it('names the key of a file that cannot be read', () => {
    expect(() =>
      toKafkaSecurity(kafka({ tls: { enabled: true, caFile: '/nonexistent/ca.pem' } })),
    ).toThrow(/"kafka.tls.caFile" names \/nonexistent\/ca.pem, which cannot be read/)
  })

  it('refuses TLS files while TLS is off rather than ignoring them', () => {
    expect(() => toKafkaSecurity(kafka({ tls: { caFile: '/etc/ca.pem' } }))).toThrow(
      /kafka.tls.enabled is false/,
    )
  })

  it('flags PLAIN without TLS as a cleartext password', () => {
    const plain = { mechanism: 'plain', username: 'u', password: 'p' }
    expect(isCleartextPassword(toKafkaSecurity(kafka({ sasl: plain })))).toBe(true)
    expect(
      isCleartextPassword(toKafkaSecurity(kafka({ sasl: plain, tls: { enabled: true } }))),
    ).toBe(false)
  })
})
