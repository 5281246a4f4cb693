import { Kafka, logLevel, type Consumer, type EachBatchPayload, type ISocketFactory } from 'kafkajs'
import type { Config } from '../../../config/defaults.ts'
import { toMessage } from '../../../errors.ts'
import type { Logger } from '../../../logger.ts'
import type { DecodeOptions } from '../formats/decode-message.ts'
import type { MessageFormat } from '../formats/format-registry.ts'
import type { KafkaIngestMetrics } from '../ingest-metrics.ts'
import type { KafkaSecurity } from '../security/kafka-security.ts'
import { toStartFailure } from '../security/start-failure.ts'
import { registerCompressionCodecs } from './compression-codecs.ts'
import type { FlowControl } from './flow-control.ts'
import { toKafkaLog } from './kafka-log.ts'
import type { LagTracker } from './partition-lag.ts'
import type { PartitionPipeline } from './partition-pipeline.ts'
import { fixKafkaRequestQueue } from './request-queue-fix.ts'
import { toConsumedMessage } from './to-consumed-message.ts'

export interface GroupConsumerOptions {
  readonly config: Config['kafka']
  readonly topics: ReadonlyMap<string, MessageFormat>
  readonly decodeOptions: DecodeOptions
  /** A pipeline for a newly assigned partition, committing through `commit`. */
  readonly createPipeline: (
    topic: string,
    partition: number,
    commit: (offset: bigint) => Promise<void>,
  ) => PartitionPipeline
  readonly flow: FlowControl
  readonly metrics: KafkaIngestMetrics
  readonly logger: Logger
  /** TLS and SASL of the clients (`toKafkaSecurity`). */
  readonly security: KafkaSecurity
  /** Follows the fetched high watermarks and the commits, per partition. */
  readonly lag: LagTracker
  readonly socketFactory?: ISocketFactory
}

/**
 * `starting` until the first join of the group, `consuming` while a member, `restarting` after
 * KafkaJS gave up (the worker restarts it), `stopping` once shutdown began.
 */
export type ConsumerState = 'starting' | 'consuming' | 'restarting' | 'stopping'

export interface GroupConsumer {
  start(): Promise<void>
  stop(): Promise<void>
  state(): ConsumerState
}

/** Delay before restarting a consumer that KafkaJS gave up on. */
const RESTART_DELAY_MS = 5_000

/**
 * How long the broker may hold a fetch open when there is nothing new. Shutdown waits for the
 * open fetch, so this bounds it; at idle it costs one small request a second.
 */
const FETCH_MAX_WAIT_MS = 1_000

/**
 * One member of the consumer group: KafkaJS fetches, this routes each fetched batch to the
 * pipeline of its partition. Offsets are committed by the pipelines, never by KafkaJS
 * (`autoCommit: false`); the fetch position advances as soon as messages are buffered, so
 * fetching and writing overlap.
 *
 * KafkaJS rebalances eagerly: after every join, each partition restarts from its committed
 * offset. So every join retires all pipelines, and a partition's new pipeline starts only once
 * the old one's write has settled, then replays from the ledger.
 */
export function createGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
  const { config, topics, flow, metrics, logger, security, lag } = options
  registerCompressionCodecs()
  fixKafkaRequestQueue()
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    logLevel: logLevel.WARN,
    logCreator: () => toKafkaLog(logger),
    ...(security.ssl === undefined ? {} : { ssl: security.ssl }),
    ...(security.sasl === undefined ? {} : { sasl: security.sasl }),
    ...(options.socketFactory === undefined ? {} : { socketFactory: options.socketFactory }),
  })
  const pipelines = new Map<string, PartitionPipeline>()
  const retiring = new Map<string, Promise<void>>()
  let consumer: Consumer | undefined
  let stopping = false
  let state: ConsumerState = 'starting'
  /** The batch being handed to a pipeline (KafkaJS hands over one at a time here). */
  let consuming: Promise<void> = Promise.resolve()
  let restartTimer: NodeJS.Timeout | undefined
  let stopped: Promise<void> | undefined

  const retireAll = (reason: 'rebalance' | 'shutdown'): Promise<void>[] => {
    const settled: Promise<void>[] = []
    for (const [key, pipeline] of pipelines) {
      const done = pipeline.retire(reason)
      retiring.set(key, done)
      void done.then(() => {
        if (retiring.get(key) === done) retiring.delete(key)
      })
      settled.push(done)
    }
    pipelines.clear()
    return settled
  }

  const pipelineFor = async (topic: string, partition: number): Promise<PartitionPipeline> => {
    const key = JSON.stringify([topic, partition])
    const existing = pipelines.get(key)
    if (existing !== undefined) return existing
    await retiring.get(key)
    const pipeline = options.createPipeline(topic, partition, (offset) =>
      commit(topic, partition, offset),
    )
    pipelines.set(key, pipeline)
    return pipeline
  }

  const commit = async (topic: string, partition: number, offset: bigint): Promise<void> => {
    await consumer?.commitOffsets([{ topic, partition, offset: offset.toString() }])
    lag.committed(topic, partition, offset)
  }

  const eachBatch = (payload: EachBatchPayload): Promise<void> => {
    if (stopping) return Promise.resolve()
    consuming = consumeBatch(payload)
    return consuming
  }

  const consumeBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload
    try {
      const format = topics.get(batch.topic) as MessageFormat
      const receivedAtMs = Date.now()
      lag.fetched(
        batch.topic,
        batch.partition,
        BigInt(batch.firstOffset() ?? batch.lastOffset()),
        BigInt(batch.highWatermark),
      )
      const messages = batch.messages.map((message) =>
        toConsumedMessage(message, format, options.decodeOptions, receivedAtMs),
      )
      metrics.messages += messages.length
      await withHeartbeats(
        () => payload.heartbeat(),
        config.heartbeatIntervalMs,
        async () => {
          const pipeline = await pipelineFor(batch.topic, batch.partition)
          await pipeline.append({ messages, lastOffset: BigInt(batch.lastOffset()) })
        },
      )
      payload.resolveOffset(batch.lastOffset())
      flow.pauseIfSaturated(() => payload.pause())
    } catch (error) {
      // Unresolved, the batch is fetched again; the pipeline skips what it already holds.
      logger.error(
        { topic: batch.topic, partition: batch.partition, err: toMessage(error) },
        'unexpected failure while consuming a kafka batch; it will be fetched again',
      )
    }
  }

  const run = async (): Promise<void> => {
    const created = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxBytesPerPartition: config.fetchMaxBytesPerPartition,
      // A fetch may return several partitions' worth: room for four at the per-partition limit.
      maxBytes: Math.max(config.fetchMaxBytesPerPartition * 4, 10 * 1024 * 1024),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    })
    consumer = created
    created.on(created.events.GROUP_JOIN, ({ payload }) => {
      void retireAll('rebalance')
      lag.retain(payload.memberAssignment)
      if (!stopping) state = 'consuming'
      logger.info(
        {
          groupId: payload.groupId,
          memberId: payload.memberId,
          assignment: payload.memberAssignment,
        },
        'joined the kafka consumer group',
      )
    })
    created.on(created.events.CRASH, ({ payload }) => {
      void retireAll('rebalance')
      if (!stopping) state = 'restarting'
      logger.error(
        { err: toMessage(payload.error), restart: payload.restart },
        'the kafka consumer crashed',
      )
      if (!payload.restart && !stopping) {
        restartTimer = setTimeout(() => void restart(), RESTART_DELAY_MS)
      }
    })
    await created.connect()
    await created.subscribe({ topics: [...topics.keys()], fromBeginning: config.fromBeginning })
    await created.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch,
    })
  }

  const shutdown = async (): Promise<void> => {
    stopping = true
    state = 'stopping'
    clearTimeout(restartTimer)
    // Stop fetching, let each batch being written finish and commit, then leave the group.
    pauseAll()
    const retired = retireAll('shutdown')
    // The batch being handed over may have created a pipeline after the line above.
    const finished = consuming.then(() =>
      Promise.all([...retired, ...retireAll('shutdown'), ...retiring.values()]),
    )
    const outcome = await settleWithin(finished, config.shutdownTimeoutMs)
    if (outcome === 'timed out') {
      logger.warn(
        { shutdownTimeoutMs: config.shutdownTimeoutMs },
        'abandoning the kafka batches still being written; their offsets stay uncommitted and the next owner replays them',
      )
    }
    await consumer?.disconnect()
  }

  const pauseAll = (): void => {
    try {
      consumer?.pause([...topics.keys()].map((topic) => ({ topic })))
    } catch {
      // Not running (it crashed and is waiting to restart): there is nothing to pause.
    }
  }

  /** KafkaJS does not restart a consumer after a non-retriable error; the worker does. */
  const restart = async (): Promise<void> => {
    if (stopping) return
    logger.warn({}, 'restarting the kafka consumer')
    try {
      await consumer?.disconnect()
      await run()
    } catch (error) {
      logger.error(
        { err: toMessage(error), retryInMs: RESTART_DELAY_MS },
        'restarting the kafka consumer failed',
      )
      restartTimer = setTimeout(() => void restart(), RESTART_DELAY_MS)
    }
  }

  return {
    async start() {
      try {
        await run()
      } catch (error) {
        await consumer?.disconnect().catch(() => undefined)
        throw toStartFailure(error, {
          topics: [...topics.keys()],
          brokers: config.brokers,
          security: security.description,
        })
      }
    },

    state: () => state,

    stop() {
      stopped ??= shutdown()
      return stopped
    },
  }
}

/** Runs `work` while heartbeating, so a slow ledger read or write keeps the group membership. */
async function withHeartbeats<T>(
  heartbeat: () => Promise<void>,
  intervalMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    // A failed heartbeat means a rebalance; KafkaJS sees it on its own next heartbeat.
    heartbeat().catch(() => undefined)
  }, intervalMs)
  try {
    return await work()
  } finally {
    clearInterval(timer)
  }
}

async function settleWithin(
  work: Promise<unknown>,
  timeoutMs: number,
): Promise<'settled' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), timeoutMs)
  })
  try {
    return await Promise.race([work.then(() => 'settled' as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}
