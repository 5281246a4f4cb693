import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { SASLOptions } from 'kafkajs'
import type { Config } from '../../../config/defaults.ts'
import { RhError, toMessage } from '../../../errors.ts'
import { createOauthTokenSource } from './oauth-token.ts'

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

/** The TLS and SASL parts of a KafkaJS client configuration. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions | true
  readonly sasl?: SASLOptions
  /** What to say in logs and errors: never a secret, only the shape of the setup. */
  readonly description: {
    readonly tls: boolean
    readonly sasl: SaslMechanism | 'none'
    readonly username?: string
  }
}

type KafkaConfig = Config['kafka']

/**
 * Builds the TLS and SASL options of the Kafka clients from `kafka.tls` and `kafka.sasl`,
 * reading the PEM and password files once, now, so that a wrong path fails at start with the
 * key that names it rather than at the first connection.
 *
 * TLS verifies the broker certificate against `caFile` (or Node's public CAs) and the name
 * it must carry (`serverName`, or the broker host); there is no switch to turn verification
 * off. SASL without TLS is allowed (SASL_PLAINTEXT listeners exist) but PLAIN then sends the
 * password in clear text, which the caller should warn about (`isCleartextPassword`).
 *
 * @throws RhError `RH_CONFIG_INVALID` naming the key of a missing file, an unknown mechanism,
 *   or a mechanism without its credentials.
 */
export function toKafkaSecurity(config: KafkaConfig): KafkaSecurity {
  const ssl = toTls(config.tls)
  const mechanism = toMechanism(config.sasl.mechanism)
  const description = {
    tls: ssl !== undefined,
    sasl: mechanism ?? ('none' as const),
    ...(mechanism === undefined || mechanism === 'oauthbearer'
      ? {}
      : { username: config.sasl.username }),
  }
  const sasl = mechanism === undefined ? undefined : toSasl(mechanism, config.sasl)
  return {
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
    description,
  }
}

/** SASL PLAIN over a connection without TLS: the password crosses the network readable. */
export function isCleartextPassword(security: KafkaSecurity): boolean {
  return security.description.sasl === 'plain' && !security.description.tls
}

function toTls(tls: KafkaConfig['tls']): ConnectionOptions | true | undefined {
  const files = tls.caFile !== '' || tls.certFile !== '' || tls.keyFile !== ''
  if (!tls.enabled) {
    if (files || tls.serverName !== '') {
      throw new RhError(
        'RH_CONFIG_INVALID',
        'kafka.tls has files or a server name set but kafka.tls.enabled is false; set RH_KAFKA_TLS_ENABLED=true to use TLS',
      )
    }
    return undefined
  }
  if ((tls.certFile === '') !== (tls.keyFile === '')) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'mutual TLS needs both kafka.tls.certFile and kafka.tls.keyFile (PEM), or neither',
    )
  }
  if (!files && tls.serverName === '') return true
  return {
    ...(tls.caFile === '' ? {} : { ca: [readSetting('kafka.tls.caFile', tls.caFile)] }),
    ...(tls.certFile === '' ? {} : { cert: readSetting('kafka.tls.certFile', tls.certFile) }),
    ...(tls.keyFile === '' ? {} : { key: readSetting('kafka.tls.keyFile', tls.keyFile) }),
    ...(tls.keyPassword === '' ? {} : { passphrase: tls.keyPassword }),
    // Node checks the certificate against `servername` (SNI too), else against the host.
    ...(tls.serverName === '' ? {} : { servername: tls.serverName }),
  }
}

function toMechanism(value: string): SaslMechanism | undefined {
  const mechanism = value.trim().toLowerCase()
  if (mechanism === '' || mechanism === 'none') return undefined
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "kafka.sasl.mechanism" must be one of ${SASL_MECHANISMS.join(', ')} (or empty for none), got ${JSON.stringify(value)}`,
    )
  }
  return mechanism as SaslMechanism
}

function toSasl(mechanism: SaslMechanism, sasl: KafkaConfig['sasl']): SASLOptions {
  if (mechanism === 'oauthbearer') {
    const provider = createOauthTokenSource({
      ...(sasl.oauthTokenFile === '' ? {} : { file: sasl.oauthTokenFile }),
      ...(sasl.oauthTokenCommand === '' ? {} : { command: sasl.oauthTokenCommand }),
      refreshSeconds: sasl.oauthTokenRefreshSeconds,
    })
    return { mechanism, oauthBearerProvider: provider }
  }
  const password =
    sasl.passwordFile === ''
      ? sasl.password
      : readSetting('kafka.sasl.passwordFile', sasl.passwordFile).replace(/\r?\n$/, '')
  if (sasl.username === '' || password === '') {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `SASL ${mechanism.toUpperCase()} needs kafka.sasl.username and a password (kafka.sasl.password, RH_KAFKA_SASL_PASSWORD or kafka.sasl.passwordFile)`,
    )
  }
  return { mechanism, username: sasl.username, password }
}

function readSetting(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "${key}" names ${path}, which cannot be read: ${toMessage(error)}`,
    )
  }
}
