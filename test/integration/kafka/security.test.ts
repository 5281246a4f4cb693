import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../../src/config/defaults.ts'
import { isRhError } from '../../../src/errors.ts'
import { createKafkaIngest } from '../../../src/ingest/kafka/index.ts'
import type { Logger } from '../../../src/logger.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { TEST_KAFKA_USERS, type SecureListeners } from '../../helpers/kafka-broker.ts'
import {
  connectTestKafka,
  kafkaUnavailable,
  releaseEvent,
  testKafkaConfig,
  type TestKafka,
} from '../../helpers/kafka.ts'
import { createMigratedTestStore, queryRows, uniqueName, waitFor } from '../../helpers/store.ts'

const mapping = toMappingOptions(DEFAULT_CONFIG)
type KafkaConfig = Config['kafka']
type Security = Pick<KafkaConfig, 'tls' | 'sasl'>

const NO_SASL = DEFAULT_CONFIG.kafka.sasl
const NO_TLS = DEFAULT_CONFIG.kafka.tls

/** An unsecured JWT (`alg: none`), what Kafka's development OAUTHBEARER validator accepts. */
function unsecuredJwt(subject: string, lifetimeSeconds: number): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const nowSeconds = Math.floor(Date.now() / 1000)
  return `${part({ alg: 'none' })}.${part({ sub: subject, iat: nowSeconds, exp: nowSeconds + lifetimeSeconds })}.`
}

/** A logger that keeps every line, to check what reaches the log. */
function recordingLogger(): Logger & { readonly text: () => string } {
  const lines: string[] = []
  const record =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields)}`)
    }
  return {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    text: () => lines.join('\n'),
  }
}

const secure = inject('kafkaSecure')

describe.skipIf(kafkaUnavailable() || secure === null)(
  'Kafka workers on TLS and SASL listeners',
  () => {
    const listeners = secure as SecureListeners
    const { certificates } = listeners
    let store: Store
    let kafka: TestKafka
    let dir: string
    beforeAll(async () => {
      store = await createMigratedTestStore()
      kafka = await connectTestKafka()
      dir = mkdtempSync(join(tmpdir(), 'rh-kafka-secrets-'))
    })
    afterAll(async () => {
      await kafka?.close()
      await store?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    /** A topic with `count` events whose ids start with the returned prefix. */
    async function topicWithEvents(count: number): Promise<{ topic: string; prefix: string }> {
      const topic = await kafka.createTopic('secure')
      const prefix = `${uniqueName('sec')}-`
      await kafka.producer.send({
        topic,
        messages: Array.from({ length: count }, (_, n) => ({
          value: releaseEvent({ id: `${prefix}${n}` }),
        })),
      })
      return { topic, prefix }
    }

    function configFor(topic: string, brokers: string, security: Security): KafkaConfig {
      return { ...testKafkaConfig({ [topic]: 'json' }), brokers: [brokers], ...security }
    }

    /** Runs a worker with `security` until the topic's events are stored. */
    async function consumeWith(
      brokers: string,
      security: Security,
      logger?: Logger,
    ): Promise<void> {
      const { topic, prefix } = await topicWithEvents(25)
      const config = configFor(topic, brokers, security)
      const ingest = createKafkaIngest({ store, config, mapping, ...(logger ? { logger } : {}) })
      await ingest.start()
      try {
        await waitFor(
          async () => {
            const [row] = await queryRows<{ stored: string }>(
              store,
              `SELECT count() AS stored FROM ${store.database}.events
               WHERE startsWith(attributes['id'], {prefix:String})`,
              { prefix },
            )
            return Number(row?.stored) === 25 ? true : undefined
          },
          { what: `25 events of ${topic} stored` },
        )
        expect(ingest.state()).toBe('consuming')
      } finally {
        await ingest.stop()
      }
    }

    /** The error a worker with `security` fails to start with. */
    async function startFailure(brokers: string, security: Security): Promise<Error> {
      const topic = await kafka.createTopic('refused')
      const config = configFor(topic, brokers, security)
      const ingest = createKafkaIngest({ store, config, mapping })
      const error = await ingest.start().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      )
      if (error === undefined) {
        await ingest.stop()
        throw new Error('the worker started although it should have been refused')
      }
      return error
    }

    const tlsWithCa = { ...NO_TLS, enabled: true, caFile: certificates.caFile }
    const { scram, plain } = TEST_KAFKA_USERS

    for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
      it(`consumes over SASL_SSL with ${mechanism.toUpperCase()}`, async () => {
        await consumeWith(listeners.saslSsl, {
          tls: tlsWithCa,
          sasl: { ...NO_SASL, mechanism, username: scram.username, password: scram.password },
        })
      })
    }

    it('consumes over SASL_SSL with PLAIN, the password read from a file, and never logs it', async () => {
      const passwordFile = join(dir, 'plain-password')
      writeFileSync(passwordFile, `${plain.password}\n`)
      const logger = recordingLogger()
      await consumeWith(
        listeners.saslSsl,
        {
          tls: tlsWithCa,
          sasl: { ...NO_SASL, mechanism: 'plain', username: plain.username, passwordFile },
        },
        logger,
      )
      expect(logger.text()).toContain('kafka batch written')
      expect(logger.text()).not.toContain(plain.password)
    })

    it('consumes over SASL_SSL with OAUTHBEARER, the token printed by a command', async () => {
      const tokenFile = join(dir, 'token')
      const runs = join(dir, 'token-runs')
      writeFileSync(tokenFile, unsecuredJwt('release-health-worker', 3600))
      await consumeWith(listeners.saslSsl, {
        tls: tlsWithCa,
        sasl: {
          ...NO_SASL,
          mechanism: 'oauthbearer',
          oauthTokenCommand: `echo run >> '${runs}'; cat '${tokenFile}'`,
        },
      })
    })

    it('consumes over TLS only, with a client certificate where the listener requires one', async () => {
      await consumeWith(listeners.ssl, {
        tls: {
          ...tlsWithCa,
          certFile: certificates.clientCertFile,
          keyFile: certificates.clientKeyFile,
        },
        sasl: NO_SASL,
      })
    })

    it('is refused with a clear error, and no password in it, when the password is wrong', async () => {
      const wrong = 'not-the-password'
      const error = await startFailure(listeners.saslSsl, {
        tls: tlsWithCa,
        sasl: {
          ...NO_SASL,
          mechanism: 'scram-sha-512',
          username: scram.username,
          password: wrong,
        },
      })
      expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
      expect(error.message).toMatch(/refused the SASL SCRAM-SHA-512 login of user "scram-user"/)
      expect(error.message).toContain('kafka.sasl.username')
      expect(error.message).not.toContain(wrong)
    })

    it('refuses a broker whose certificate no trusted CA signed, saying to set kafka.tls.caFile', async () => {
      const error = await startFailure(listeners.saslSsl, {
        tls: { ...NO_TLS, enabled: true },
        sasl: {
          ...NO_SASL,
          mechanism: 'scram-sha-256',
          username: scram.username,
          password: scram.password,
        },
      })
      expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
      expect(error.message).toMatch(/certificate does not verify .*kafka\.tls\.caFile/)
    })

    it('refuses a broker whose certificate does not carry the expected server name', async () => {
      const error = await startFailure(listeners.ssl, {
        tls: {
          ...tlsWithCa,
          certFile: certificates.clientCertFile,
          keyFile: certificates.clientKeyFile,
          serverName: 'kafka.example.com',
        },
        sasl: NO_SASL,
      })
      expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
      expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
    })

    it('is refused by a listener that requires a client certificate when it has none', async () => {
      const error = await startFailure(listeners.ssl, { tls: tlsWithCa, sasl: NO_SASL })
      expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
      expect(error.message).toMatch(
        /TLS handshake .* failed: the broker ended it with the alert "bad certificate"; the listener may require a client certificate/,
      )
    })
  },
)
