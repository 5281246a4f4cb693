/**
 * A real, single-node Apache Kafka broker (KRaft mode) for tests, benchmarks and local
 * development, started from the official jars on Maven Central with the machine's Java 17+:
 *
 * 1. `mvn dependency:copy-dependencies` copies the jars pinned in kafka/pom.xml into
 *    .cache/kafka/<digest of the pom>/ (git-ignored), once per pom version.
 * 2. `kafka.tools.StorageTool format` prepares a fresh log directory in the temp folder.
 * 3. `kafka.Kafka` starts with generated server.properties on free loopback ports, and the
 *    broker is ready when a client can describe the cluster.
 *
 * Besides the PLAINTEXT listener most tests use, the broker has a SASL_SSL listener (PLAIN,
 * SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER with unsecured JWTs, Kafka's development
 * validator) and an SSL listener that requires client certificates, both with certificates
 * made at start by test/helpers/kafka-tls.ts. SCRAM users are created when the storage is
 * formatted.
 *
 * Run it directly for development: `node test/helpers/kafka-broker.ts` prints the broker
 * address and stops the broker on Ctrl-C.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { fixKafkaRequestQueue } from '../../src/ingest/kafka/consumer/request-queue-fix.ts'
import { freePort } from './free-port.ts'
import { createTestCertificates, type TestCertificates } from './kafka-tls.ts'

const execFileAsync = promisify(execFile)

const REPO_ROOT = join(import.meta.dirname, '..', '..')
const POM = join(REPO_ROOT, 'kafka', 'pom.xml')
const LOG4J_CONFIG = join(REPO_ROOT, 'kafka', 'log4j2.properties')
const JAR_CACHE = join(REPO_ROOT, '.cache', 'kafka')
/** Written last into a jar folder, so that a half-copied folder is never used. */
const COMPLETE_MARKER = '.complete'

export interface KafkaBrokerOptions {
  /** JVM heap; the broker needs little for tests (default 512 MiB). */
  readonly heapMb?: number
  /** How long the broker may take to answer (default 120 s, for a slow first start). */
  readonly startTimeoutMs?: number
}

/** The users the secure listeners know (test credentials, nothing secret). */
export const TEST_KAFKA_USERS = {
  plain: { username: 'plain-user', password: 'plain-secret' },
  scram: { username: 'scram-user', password: 'scram-secret' },
} as const

/** The broker's TLS listeners and what a client needs to reach them. */
export interface SecureListeners {
  /** SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER. */
  readonly saslSsl: string
  /** SSL with client certificates required (mutual TLS). */
  readonly ssl: string
  readonly certificates: TestCertificates
}

export interface KafkaBroker {
  /** Bootstrap address, `127.0.0.1:<port>`. */
  readonly brokers: string
  readonly secure: SecureListeners
  /** The broker's JVM process (benchmarks read its CPU time). */
  readonly pid: number | undefined
  /** Kills the broker and deletes its data. */
  stop(): Promise<void>
}

/** Starts a throwaway broker; rejects with the end of its log when it does not come up. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const { heapMb = 512, startTimeoutMs = 120_000 } = options
  const classpath = join(await ensureKafkaJars(), '*')
  const dir = mkdtempSync(join(tmpdir(), 'rh-kafka-'))
  const ports = {
    brokerPort: await freePort(),
    controllerPort: await freePort(),
    saslSslPort: await freePort(),
    sslPort: await freePort(),
  }
  const certificates = await createTestCertificates(dir).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true })
    throw error
  })
  const propertiesFile = join(dir, 'server.properties')
  writeFileSync(
    propertiesFile,
    toServerProperties({ ...ports, certificates, logDir: join(dir, 'data') }),
  )
  const jvm = [
    `-Xms128m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    classpath,
  ]
  const clusterId = randomBytes(16).toString('base64url')
  await execFileAsync('java', [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    // One argument: a base64url id may start with '-', which would read as an option.
    `--cluster-id=${clusterId}`,
    '--config',
    propertiesFile,
    ...['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
      '--add-scram',
      `${mechanism}=[name=${TEST_KAFKA_USERS.scram.username},password=${TEST_KAFKA_USERS.scram.password}]`,
    ]),
  ]).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`formatting the Kafka storage failed: ${String(error)}`, { cause: error })
  })
  const java = spawn('java', [...jvm, 'kafka.Kafka', propertiesFile], { stdio: 'ignore' })
  const brokers = `127.0.0.1:${ports.brokerPort}`
  const broker: KafkaBroker = {
    brokers,
    secure: {
      saslSsl: `127.0.0.1:${ports.saslSslPort}`,
      ssl: `127.0.0.1:${ports.sslPort}`,
      certificates,
    },
    pid: java.pid,
    stop: () => stopBroker(java, dir),
  }
  const killOnExit = (): void => {
    java.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  try {
    await waitUntilReady(brokers, java, startTimeoutMs)
  } catch (error) {
    const log = readLogTail(join(dir, 'server.log'))
    await broker.stop()
    throw new Error(`the Kafka broker did not start: ${(error as Error).message}\n${log}`, {
      cause: error,
    })
  }
  return broker
}

/**
 * The broker's configuration: combined broker and controller on loopback, single replicas,
 * messages up to 20 MiB so that tests can send oversized poison messages, and the secure
 * listeners described at the top of this file.
 */
export function toServerProperties(options: {
  brokerPort: number
  controllerPort: number
  saslSslPort: number
  sslPort: number
  certificates: TestCertificates
  logDir: string
}): string {
  const { brokerPort, controllerPort, saslSslPort, sslPort, certificates, logDir } = options
  const { plain } = TEST_KAFKA_USERS
  return Object.entries({
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: [
      `PLAINTEXT://127.0.0.1:${brokerPort}`,
      `CONTROLLER://127.0.0.1:${controllerPort}`,
      `SASL_SSL://127.0.0.1:${saslSslPort}`,
      `SSL://127.0.0.1:${sslPort}`,
    ].join(','),
    'advertised.listeners': [
      `PLAINTEXT://127.0.0.1:${brokerPort}`,
      `SASL_SSL://127.0.0.1:${saslSslPort}`,
      `SSL://127.0.0.1:${sslPort}`,
    ].join(','),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map':
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'message.max.bytes': String(20 * 1024 * 1024),
    // TLS for both secure listeners, from PEM files.
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certificates.brokerKeyStoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certificates.caFile,
    'listener.name.ssl.ssl.client.auth': 'required',
    // SASL on the SASL_SSL listener.
    'listener.name.sasl_ssl.sasl.enabled.mechanisms':
      'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config':
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
  })
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
}

/**
 * The folder holding the broker's jars, copying them from Maven Central on first use. Runs
 * that start at the same time each copy into their own folder and the first rename wins.
 */
export async function ensureKafkaJars(): Promise<string> {
  const digest = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 16)
  const target = join(JAR_CACHE, digest)
  if (existsSync(join(target, COMPLETE_MARKER))) return target
  const staging = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    await execFileAsync(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    )
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(
      `fetching the Kafka jars with Maven failed (needs mvn and Maven Central): ${String(error)}`,
      { cause: error },
    )
  }
  writeFileSync(join(staging, COMPLETE_MARKER), '')
  try {
    renameSync(staging, target)
  } catch {
    rmSync(staging, { recursive: true, force: true }) // another run got there first
  }
  return target
}

async function waitUntilReady(
  brokers: string,
  java: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    java.once('exit', (code, signal) =>
      reject(new Error(`the JVM exited (code ${code}, signal ${signal})`)),
    )
    java.once('error', reject)
  })
  fixKafkaRequestQueue()
  const admin = new Kafka({
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin()
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      const attempt = admin.connect().then(() => admin.describeCluster())
      const outcome = await Promise.race([attempt.then(() => 'ready' as const), exited]).catch(
        (error: unknown) => {
          if (java.exitCode !== null || java.signalCode !== null) throw error
          return 'not yet' as const
        },
      )
      if (outcome === 'ready') return
      if (Date.now() > deadline) throw new Error(`no answer on ${brokers} within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

async function stopBroker(java: ChildProcess, dir: string): Promise<void> {
  if (java.exitCode === null && java.signalCode === null) {
    const exited = new Promise((resolve) => java.once('exit', resolve))
    // A throwaway broker needs no controlled shutdown: its data is deleted next.
    java.kill('SIGKILL')
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
}

function readLogTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n')
  } catch {
    return '(no broker log)'
  }
}

if (import.meta.main) {
  const broker = await startKafkaBroker()
  console.log(`Kafka broker ready: KAFKA_BROKERS=${broker.brokers} (Ctrl-C stops it)`)
  process.once('SIGINT', () => void broker.stop().then(() => process.exit(0)))
}
