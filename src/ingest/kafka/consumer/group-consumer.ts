import {
  Kafka,
  logLevel,
  type Batch,
  type Consumer,
  type EachBatchPayload,
  type ISocketFactory,
} from 'kafkajs'
import type { Config } from '../../../config/defaults.ts'
import { toMessage } from '../../../errors.ts'
import type { Logger } from '../../../logger.ts'
import type { DecodeOptions } from '../formats/decode-message.ts'
import type { FetchDecoder } from '../formats/fetch-decoder.ts'
import type { MessageFormat } from '../formats/format-registry.ts'
import type { KafkaIngestMetrics } from '../ingest-metrics.ts'
import type { KafkaSecurity } from '../security/kafka-security.ts'
import { toStartFailure } from '../security/start-failure.ts'
import { registerCompressionCodecs } from './compression-codecs.ts'
import type { FlowControl } from './flow-control.ts'
import { toKafkaLog } from './kafka-log.ts'
import type { LagTracker } from './partition-lag.ts'
import type { PartitionPipeline } from './partition-pipeline.ts'
import { fixKafkaRecordDecoding } from './record-decoding-fix.ts'
import { fixKafkaRequestQueue } from './request-queue-fix.ts'
import { toConsumedRuns } from './to-consumed-message.ts'

export interface GroupConsumerOptions {
  readonly config: Config['kafka']
  readonly topics: ReadonlyMap<string, MessageFormat>
  readonly decodeOptions: DecodeOptions
  /** Decodes each fetched batch's messages, on a worker thread unless `kafka.decodeThreads` is 0. */
  readonly decoder: FetchDecoder
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
  fixKafkaRecordDecoding()
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
  /** The batches being handed to their pipelines (see `eachBatch`). */
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

  /**
   * The hand-over of the last batch KafkaJS gave: batches are appended in the order fetched,
   * each after the one before it.
   */
  let handing: Promise<void> = Promise.resolve()
  /**
   * Per partition, the first offset of a batch that could not be handed over: fetching was sent
   * back there, and batches fetched from further on before that took effect are dropped.
   */
  const lostFrom = new Map<string, bigint>()
  /**
   * Counts joins and crashes: a batch fetched before one is dropped, not appended, as every
   * partition then restarts from its committed offset (and the batch's may have moved away).
   */
  let generation = 0

  /**
   * Starts decoding the batch (on the decoding thread) and returns once the batch before it is
   * in its pipeline: KafkaJS fetches and parses the next batch while this one is decoded, and
   * at most two are in hand at a time.
   */
  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    if (stopping) return
    const previous = handing
    handing = handOver(payload, previous)
    consuming = handing
    await previous
  }

  const handOver = (payload: EachBatchPayload, previous: Promise<void>): Promise<void> => {
    const { batch } = payload
    const { topic, partition } = batch
    const key = JSON.stringify([topic, partition])
    const format = topics.get(topic) as MessageFormat
    const receivedAtMs = Date.now()
    lag.fetched(
      topic,
      partition,
      BigInt(batch.firstOffset() ?? batch.lastOffset()),
      BigInt(batch.highWatermark),
    )
    const decoding = options.decoder.decode(
      format,
      batch.messages.map((message) => message.value),
      options.decodeOptions,
    )
    // Awaited below, after the batch before it: not an unhandled rejection meanwhile.
    decoding.catch(() => undefined)
    // The next fetch starts after this batch; should it fail, fetching is sent back (below).
    payload.resolveOffset(batch.lastOffset())
    const fetchedAt = fetchedOffsetOf(batch)
    const fetchedIn = generation
    return previous.then(async () => {
      if (stopping || generation !== fetchedIn) return
      const lost = lostFrom.get(key)
      if (lost !== undefined) {
        // Fetched before fetching went back: it comes again after the lost batch.
        if (fetchedAt > lost) return
        lostFrom.delete(key)
      }
      try {
        const decoded = await decoding
        const runs = toConsumedRuns(batch.messages, decoded, receivedAtMs)
        metrics.messages += batch.messages.length
        await withHeartbeats(
          () => payload.heartbeat(),
          config.heartbeatIntervalMs,
          async () => {
            const pipeline = await pipelineFor(topic, partition)
            await pipeline.append({ runs, lastOffset: BigInt(batch.lastOffset()) })
          },
        )
        flow.pauseIfSaturated(() => payload.pause())
      } catch (error) {
        // Fetched again from where this batch was fetched; the pipeline skips what it holds.
        lostFrom.set(key, fetchedAt)
        logger.error(
          { topic, partition, err: toMessage(error) },
          'unexpected failure while consuming a kafka batch; it will be fetched again',
        )
        try {
          consumer?.seek({ topic, partition, offset: fetchedAt.toString() })
        } catch {
          // Not running any more: the next run starts from the committed offsets anyway.
        }
      }
    })
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
      generation++
      lostFrom.clear()
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
      generation++
      lostFrom.clear()
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

/**
 * The offset a batch was fetched from (KafkaJS keeps it, its typings do not say so); its first
 * message's offset may be later (records removed by compaction, transaction markers).
 */
function fetchedOffsetOf(batch: Batch): bigint {
  const fetched = (batch as { fetchedOffset?: unknown }).fetchedOffset
  return typeof fetched === 'string' || typeof fetched === 'number'
    ? BigInt(fetched)
    : BigInt(batch.firstOffset() ?? batch.lastOffset())
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
