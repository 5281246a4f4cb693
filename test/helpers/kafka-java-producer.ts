/**
 * Produces messages with the official Java Kafka client (kafka/producer/CompressedProducer.java,
 * run from the broker's jars), so that compressed record batches are exactly what Java services
 * and Kafka tools write: xerial-framed snappy, Kafka's LZ4 frames, zstd-jni.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ensureKafkaJars } from './kafka-broker.ts'

const execFileAsync = promisify(execFile)
const SOURCE = join(import.meta.dirname, '..', '..', 'kafka', 'producer', 'CompressedProducer.java')
const LOG4J_CONFIG = join(import.meta.dirname, '..', '..', 'kafka', 'log4j2.properties')

export type JavaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** Sends `values` (one message each, no newlines) to `topic`; resolves once all are acknowledged. */
export async function produceWithJava(options: {
  readonly brokers: string
  readonly topic: string
  readonly compression: JavaCompression
  readonly values: readonly string[]
}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rh-java-producer-'))
  try {
    const file = join(dir, 'messages.txt')
    writeFileSync(file, options.values.join('\n'))
    const classpath = join(await ensureKafkaJars(), '*')
    await execFileAsync(
      'java',
      [
        '-XX:+UseSerialGC',
        `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
        `-Dkafka.logs.dir=${dir}`,
        '-cp',
        classpath,
        SOURCE,
        options.brokers,
        options.topic,
        options.compression,
        file,
      ],
      { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 },
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
