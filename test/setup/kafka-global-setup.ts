import type { TestProject } from 'vitest/node'
import { startKafkaBroker, type SecureListeners } from '../helpers/kafka-broker.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers for Kafka tests; '' when no broker is available (tests skip). */
    kafkaBrokers: string
    /** Why `kafkaBrokers` is empty. */
    kafkaUnavailableReason: string
    /** The test broker's TLS listeners; null with KAFKA_BROKERS or no broker. */
    kafkaSecure: SecureListeners | null
  }
}

/** Integration and end-to-end tests need the broker when their path names Kafka. */
const NEEDS_KAFKA = /test\/(integration|e2e)\/.*kafka/i

/**
 * Provides a Kafka broker to the tests: the cluster in `KAFKA_BROKERS` when set, otherwise a
 * real broker started from the official jars (test/helpers/kafka-broker.ts) and stopped after
 * the run. It starts only when the run includes Kafka tests. A broker that cannot start makes
 * the Kafka tests skip with the reason, except with `CI=true`, where it fails the run.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const fromEnvironment = process.env.KAFKA_BROKERS ?? ''
  if (fromEnvironment !== '' || !(await runIncludesKafkaTests(project))) {
    project.provide('kafkaBrokers', fromEnvironment)
    project.provide('kafkaUnavailableReason', 'this run has no Kafka tests')
    project.provide('kafkaSecure', null)
    return
  }
  try {
    const broker = await startKafkaBroker()
    project.provide('kafkaBrokers', broker.brokers)
    project.provide('kafkaUnavailableReason', '')
    project.provide('kafkaSecure', broker.secure)
    return () => broker.stop()
  } catch (error) {
    if (process.env.CI === 'true') throw error
    const reason = `no Kafka broker (${(error as Error).message.split('\n')[0]}); set KAFKA_BROKERS or install Java 17+ and Maven`
    console.warn(`Kafka tests will be skipped: ${reason}`)
    project.provide('kafkaBrokers', '')
    project.provide('kafkaUnavailableReason', reason)
    project.provide('kafkaSecure', null)
  }
}

/** Whether the files this run selected (the CLI's file filters, if any) include Kafka tests. */
async function runIncludesKafkaTests(project: TestProject): Promise<boolean> {
  // The CLI filters are not public API; without them, assume the whole suite runs.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern
  const { testFiles } = await project.globTestFiles(filters)
  return testFiles.some((file) => NEEDS_KAFKA.test(file))
}
