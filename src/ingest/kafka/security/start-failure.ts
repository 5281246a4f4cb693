import { RhError, toMessage } from '../../../errors.ts'
import type { KafkaSecurity } from './kafka-security.ts'

export interface StartContext {
  readonly topics: readonly string[]
  readonly brokers: readonly string[]
  readonly security: KafkaSecurity['description']
}

/** Node's codes for a broker certificate that does not verify, and what to do about each. */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  SELF_SIGNED_CERT_IN_CHAIN:
    'its chain ends in a CA Node does not trust; set kafka.tls.caFile to that CA (PEM)',
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'it is self-signed; set kafka.tls.caFile to it or to the CA of the cluster (PEM)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'no trusted CA signed it; set kafka.tls.caFile to the CA of the cluster (PEM)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'its issuer is not among the trusted CAs; set kafka.tls.caFile to the CA of the cluster (PEM)',
  CERT_HAS_EXPIRED: 'it has expired; the cluster must renew it',
  CERT_NOT_YET_VALID: 'it is not valid yet (check the clocks)',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'it does not name the address connected to; connect by a name it carries, or set kafka.tls.serverName to one',
}

/**
 * Turns KafkaJS's failure to join the group into an error that says what to fix, without
 * any secret: refused credentials and TLS trouble are `RH_KAFKA_AUTH_FAILED` (a setting is
 * wrong, retrying will not help), anything else `RH_KAFKA_UNREACHABLE`.
 */
export function toStartFailure(error: unknown, context: StartContext): RhError {
  const chain = causeChain(error)
  const where = `Kafka (${context.brokers.join(', ')})`
  const sasl = chain.find((link) => link.name === 'KafkaJSSASLAuthenticationError')
  if (sasl !== undefined) {
    const { security } = context
    const who =
      security.username === undefined
        ? `the SASL ${security.sasl.toUpperCase()} token`
        : `the SASL ${security.sasl.toUpperCase()} login of user ${JSON.stringify(security.username)}`
    const fix =
      security.sasl === 'oauthbearer'
        ? 'check the token that kafka.sasl.oauthTokenFile or kafka.sasl.oauthTokenCommand provides'
        : 'check kafka.sasl.username and the password (RH_KAFKA_SASL_PASSWORD or kafka.sasl.passwordFile) and kafka.sasl.mechanism'
    return new RhError('RH_KAFKA_AUTH_FAILED', `${where} refused ${who}: ${sasl.message}; ${fix}`, {
      cause: error,
    })
  }
  const certificate = chain.find((link) => link.code in CERTIFICATE_PROBLEMS)
  if (certificate !== undefined) {
    return new RhError(
      'RH_KAFKA_AUTH_FAILED',
      `the TLS handshake with ${where} failed: the broker certificate does not verify (${certificate.code}): ${CERTIFICATE_PROBLEMS[certificate.code]}`,
      { cause: error },
    )
  }
  const alert = chain.find((link) => /alert|handshake|wrong version number/i.test(link.message))
  if (alert !== undefined) {
    // OpenSSL's text ("...:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/...") names
    // the alert the broker sent; that name is what a reader can act on.
    const name = /alert ([a-z ]+?)(?::|$)/i.exec(alert.message)?.[1]
    const what =
      name === undefined ? alert.message.trim() : `the broker ended it with the alert "${name}"`
    return new RhError(
      'RH_KAFKA_AUTH_FAILED',
      `the TLS handshake with ${where} failed: ${what}; ${tlsHint(context.security)}`,
      { cause: error },
    )
  }
  return new RhError(
    'RH_KAFKA_UNREACHABLE',
    `cannot consume ${context.topics.join(', ')} from ${where}: ${toMessage(error)}; check kafka.brokers (RH_KAFKA_BROKERS), that the topics exist and that the brokers are reachable${context.security.tls ? '' : ' (and whether the listener wants TLS: kafka.tls.enabled)'}`,
    { cause: error },
  )
}

function tlsHint(security: StartContext['security']): string {
  return security.tls
    ? 'the listener may require a client certificate (kafka.tls.certFile and kafka.tls.keyFile), or not speak TLS at all'
    : 'the listener may expect TLS (kafka.tls.enabled)'
}

interface Link {
  readonly name: string
  readonly message: string
  readonly code: string
}

/** The error and its causes (`cause`, and KafkaJS's `originalError`), outermost first. */
function causeChain(error: unknown): Link[] {
  const links: Link[] = []
  let current: unknown = error
  while (current instanceof Error && links.length < 10) {
    const { code } = current as { code?: unknown }
    links.push({
      name: current.name,
      message: current.message,
      code: typeof code === 'string' ? code : '',
    })
    const next = current as { cause?: unknown; originalError?: unknown }
    current = next.cause ?? next.originalError
  }
  return links
}
