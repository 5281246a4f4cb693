/**
 * Kafka ingestion throughput of one worker process, per format (issue 4).
 *
 * Method: start a real broker (test/helpers/kafka-broker.ts) unless KAFKA_BROKERS is set;
 * for each format create a topic of PARTITIONS partitions and pre-produce EVENTS events:
 * `json`, one release event per message with a distinct id; `otlp_proto`, OTLP requests of
 * SPANS_PER_MESSAGE spans serialized by the OpenTelemetry JS SDK (HTTP server spans with a
 * flag evaluation and database client spans, as `buildRealisticPayload` shapes them). Then
 * start one `release-health ingest-kafka` process on a fresh embedded store and time it until
 * its group has committed every partition to the end: offsets are committed only once rows
 * are in ClickHouse, so that is the time until all events are stored. Finally stop the worker
 * with SIGTERM and count the stored rows, which must equal EVENTS.
 *
 * Each run is bracketed by `probeMachineSpeed`: on this shared machine the same work costs up
 * to twice the CPU time when the host is busy. The probes say how the host ran around the run,
 * not during it (machine-speed.ts).
 *
 * For reference, each stage is then measured alone: a bare KafkaJS consumer reads the same
 * topic without decoding or writing (the ceiling KafkaJS puts on a worker), and STAGE_ROWS
 * rows are decoded and mapped, then inserted into a fresh embedded store, in this process.
 *
 * With PROFILE=1 the worker runs with --cpu-prof and the script prints where its JavaScript
 * thread spent its time, by package (the embedded engine's own threads are not in it: compare
 * with the process CPU time printed next to it).
 *
 * With COMPRESSION=gzip|snappy|lz4|zstd the topics are produced in record batches compressed
 * with that codec, so the worker also decompresses (src/ingest/kafka/consumer/compression-codecs.ts).
 *
 * Last, IDLE_SECONDS: two bare KafkaJS consumers, each in its own process, stay joined to the
 * drained topic for that long, one with KafkaJS's request queue as released and one with
 * `fixKafkaRequestQueue`, and their CPU time is compared (the 1 ms timer loop of KafkaJS 2.2.4).
 *
 * Run: PATH=$PWD/node_modules/.bin:$PATH node benchmarks/kafka-throughput.ts
 * Env: EVENTS (1000000), PARTITIONS (4), SPANS_PER_MESSAGE (200), FORMATS (json,otlp_proto),
 *      COMPRESSION (none), IDLE_SECONDS (20; 0 skips), PROFILE (0), KAFKA_BROKERS (start a broker),
 *      WORKER_NODE_ARGS (Node flags for the worker), WORKER_BIN (another checkout's
 *      bin/release-health.js), SHOW_WORKER_LOG (0).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompressionTypes, Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs'
import { registerCompressionCodecs } from '../src/ingest/kafka/consumer/compression-codecs.ts'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeMessages } from '../src/ingest/kafka/formats/decode-message.ts'
import type { MessageFormat } from '../src/ingest/kafka/formats/format-registry.ts'
import { rowCount } from '../src/ingest/kafka/formats/message-format.ts'
import type { ConsumedMessage } from '../src/ingest/kafka/consumed-message.ts'
import { createBatchWriter } from '../src/ingest/kafka/writer/write-batch.ts'
import { toMappingOptions } from '../src/model/to-span-rows.ts'
import { migrate } from '../src/store/migrate.ts'
import { createStore } from '../src/store/store-client.ts'
import { startKafkaBroker } from '../test/helpers/kafka-broker.ts'
import { processUsage, summarizeProfile, threadUsage } from './kafka-process-usage.ts'
import { describeSpeed, probeMachineSpeed } from './machine-speed.ts'
import { buildTracePayload, type PayloadSpanSpec } from '../test/helpers/otel-payloads.ts'

const EVENTS = Number(process.env.EVENTS ?? 1_000_000)
const PARTITIONS = Number(process.env.PARTITIONS ?? 4)
const SPANS_PER_MESSAGE = Number(process.env.SPANS_PER_MESSAGE ?? 200)
const FORMATS = (process.env.FORMATS ?? 'json,otlp_proto').split(',') as MessageFormat[]
const PROFILE = process.env.PROFILE === '1'
const COMPRESSION_TYPES = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const
const COMPRESSION = (process.env.COMPRESSION ?? 'none') as keyof typeof COMPRESSION_TYPES
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 20)
/** Node flags for the worker process, e.g. `--trace-gc` or V8 heap sizes to try. */
const WORKER_NODE_ARGS = (process.env.WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean)
const STAGE_ROWS = 200_000
/** Messages per fetch in the decoding stage alone (a partition's fetch of `json` holds ~29,000). */
const FETCH_MESSAGES = 5_000
const REPO_ROOT = join(import.meta.dirname, '..')
/**
 * The worker to measure; WORKER_BIN names another checkout's to compare in the same hour (set
 * but empty, as a script alternating two workers leaves it, means this checkout's).
 */
const BIN =
  process.env.WORKER_BIN === undefined || process.env.WORKER_BIN === ''
    ? join(REPO_ROOT, 'bin', 'release-health.js')
    : process.env.WORKER_BIN

interface Produced {
  readonly topic: string
  readonly messages: number
  readonly bytes: number
}

interface Run {
  readonly totalSeconds: number
  readonly fromFirstBatchSeconds: number
  readonly cpuSeconds: number
  readonly peakRssMb: number
  readonly storedRows: number
  readonly profileDir: string | undefined
  /** The steady-state window: from 10% to 90% of the events committed. */
  readonly window: SteadyWindow | undefined
}

/** What the worker did between two polls of its group's committed offsets. */
interface SteadyWindow {
  readonly events: number
  readonly seconds: number
  readonly cpuSeconds: number
  /** CPU seconds of the broker over the window, when it runs here. */
  readonly brokerCpuSeconds: number | undefined
  /** CPU seconds by thread name over the window. */
  readonly byThread: ReadonlyMap<string, number>
}

interface Sample {
  readonly atMs: number
  readonly committed: number
  readonly cpuSeconds: number
  readonly brokerCpuSeconds: number | undefined
  readonly threads: Map<string, number>
}

/** The `json` message of event `n`: a release event as docs/kafka-json-events.md defines it. */
function jsonEvent(n: number, timestamp: string): string {
  return JSON.stringify({
    schemaVersion: 1,
    timestamp,
    service: 'checkout',
    environment: 'production',
    release: n % 2 === 0 ? '1.4.2' : '1.5.0',
    flags: { 'new-checkout': n % 4 === 0 ? 'on' : 'off' },
    name: 'checkout.completed',
    value: (n * 7919) % 5_000,
    outcome: n % 50 === 0 ? 'failure' : 'success',
    attributes: { id: `bench-${n}`, region: 'eu-west-1', tenant: String(n % 97) },
  })
}

async function produceJson(producer: Producer, topic: string): Promise<Produced> {
  const timestamp = new Date().toISOString()
  let bytes = 0
  const chunk = 5_000
  for (let start = 0; start < EVENTS; start += chunk) {
    const messages = []
    for (let n = start; n < Math.min(start + chunk, EVENTS); n++) {
      const value = jsonEvent(n, timestamp)
      bytes += value.length
      messages.push({ partition: n % PARTITIONS, value })
    }
    await producer.send({ topic, messages, compression: COMPRESSION_TYPES[COMPRESSION] })
  }
  return { topic, messages: EVENTS, bytes }
}

/** OTLP requests like `buildRealisticPayload`, timed now so that the tables' TTL keeps them. */
function otlpPayloads(count: number): Buffer[] {
  const now = BigInt(Date.now()) * 1_000_000n
  return Array.from({ length: count }, (_, p) => {
    const spans: PayloadSpanSpec[] = []
    for (let i = 0; i < SPANS_PER_MESSAGE; i++) {
      const server = i % 2 === 0
      spans.push({
        name: server ? 'GET /api/v1/cart' : 'SELECT orders',
        kind: server ? 'server' : 'client',
        startTimeUnixNano: now + BigInt(i) * 1_000_000n,
        durationNs: BigInt(1_000_000 + ((i * 7919) % 50_000_000)),
        ...(server
          ? {
              attributes: {
                'http.request.method': 'GET',
                'http.route': '/api/v1/cart',
                'http.response.status_code': i % 50 === 0 ? 503 : 200,
                'url.path': `/api/v1/cart/${i}`,
                'server.address': 'checkout.shop.internal',
              },
              flags: { 'new-checkout': i % 4 === 0 ? 'on' : 'off' },
            }
          : {
              parentIndex: i - 1,
              attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' },
            }),
      })
    }
    const payload = buildTracePayload({
      service: 'checkout',
      release: p % 2 === 0 ? '1.4.2' : '1.5.0',
      environment: 'production',
      resourceAttributes: { 'host.name': `checkout-${p}`, 'telemetry.sdk.language': 'nodejs' },
      spans,
    })
    return Buffer.from(payload.protobuf)
  })
}

const OTLP_PAYLOADS = otlpPayloads(16)

async function produceOtlp(producer: Producer, topic: string): Promise<Produced> {
  const payloads = OTLP_PAYLOADS
  const messages = Math.ceil(EVENTS / SPANS_PER_MESSAGE)
  let bytes = 0
  const chunk = 100
  for (let start = 0; start < messages; start += chunk) {
    const batch = []
    for (let m = start; m < Math.min(start + chunk, messages); m++) {
      const value = payloads[m % payloads.length] as Buffer
      bytes += value.length
      batch.push({ partition: m % PARTITIONS, value })
    }
    await producer.send({ topic, messages: batch, compression: COMPRESSION_TYPES[COMPRESSION] })
  }
  return { topic, messages, bytes }
}

/** Messages the group has committed over all partitions, and whether that is all of them. */
async function committedProgress(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ committed: number; complete: boolean }> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]).catch((error: unknown) => {
    // A passing broker state (the group coordinator loading, say) means "not yet".
    if ((error as { retriable?: unknown }).retriable === true) return [[], [undefined]] as const
    throw error
  })
  if (ends.length === 0) return { committed: 0, complete: false }
  const byPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]))
  return {
    committed: ends.reduce(
      (sum, { partition }) => sum + Math.max(0, Number(byPartition.get(partition) ?? -1)),
      0,
    ),
    complete: ends.every(({ partition, high }) => byPartition.get(partition) === high),
  }
}

/**
 * The window from the first poll with at least 10% of the messages committed to the first
 * with at least 90%: the worker's sustained rate, without its start (Node, the engine, joining
 * the group) or its last partial batches.
 */
function steadyWindow(samples: readonly Sample[], messages: number, itemsPerMessage: number) {
  const from = samples.find((sample) => sample.committed >= 0.1 * messages)
  const to = samples.find((sample) => sample.committed >= 0.9 * messages)
  if (from === undefined || to === undefined || to.atMs <= from.atMs) return undefined
  const byThread = new Map<string, number>()
  for (const [name, seconds] of to.threads) {
    byThread.set(name, seconds - (from.threads.get(name) ?? 0))
  }
  return {
    events: (to.committed - from.committed) * itemsPerMessage,
    seconds: (to.atMs - from.atMs) / 1000,
    cpuSeconds: to.cpuSeconds - from.cpuSeconds,
    brokerCpuSeconds:
      to.brokerCpuSeconds === undefined || from.brokerCpuSeconds === undefined
        ? undefined
        : to.brokerCpuSeconds - from.brokerCpuSeconds,
    byThread,
  }
}

async function runWorker(
  admin: Admin,
  brokers: string,
  format: string,
  { topic, messages }: Produced,
  brokerPid: number | undefined,
): Promise<Run> {
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-kafka-bench-'))
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'rh-kafka-prof-')) : undefined
  const groupId = `bench-${format}-${Date.now()}`
  const startedMs = performance.now()
  const child = spawn(
    process.execPath,
    [
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      ...WORKER_NODE_ARGS,
      BIN,
      'ingest-kafka',
      '--log-level',
      'info',
    ],
    {
      env: {
        ...process.env,
        RH_KAFKA_BROKERS: brokers,
        RH_KAFKA_TOPICS: `${topic}:${format}`,
        RH_KAFKA_GROUP_ID: groupId,
        RH_CLICKHOUSE_DATA_PATH: dataPath,
        RH_CLICKHOUSE_DATABASE: 'bench',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let firstBatchMs: number | undefined
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (process.env.SHOW_WORKER_LOG === '1') process.stdout.write(chunk)
    if (firstBatchMs === undefined && chunk.includes('"msg":"kafka batch written"')) {
      firstBatchMs = performance.now()
    }
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const samples: Sample[] = []
  for (;;) {
    const progress = await committedProgress(admin, groupId, topic)
    samples.push({
      atMs: performance.now(),
      committed: progress.committed,
      cpuSeconds: processUsage(child.pid as number).cpuSeconds,
      brokerCpuSeconds: brokerPid === undefined ? undefined : processUsage(brokerPid).cpuSeconds,
      threads: threadUsage(child.pid as number),
    })
    if (progress.complete) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const doneMs = performance.now()
  const { cpuSeconds, peakRssMb } = processUsage(child.pid as number)
  child.kill('SIGTERM')
  await exited
  const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath, database: 'bench' })
  const table = format === 'json' ? 'events' : 'spans'
  const result = await store.client.query({
    query: `SELECT count() AS rows FROM bench.${table}`,
    format: 'JSONEachRow',
  })
  const [{ rows } = { rows: '0' }] = await result.json<{ rows: string }>()
  await store.close()
  rmSync(dataPath, { recursive: true, force: true })
  return {
    totalSeconds: (doneMs - startedMs) / 1000,
    fromFirstBatchSeconds: (doneMs - (firstBatchMs ?? startedMs)) / 1000,
    cpuSeconds,
    peakRssMb,
    storedRows: Number(rows),
    profileDir,
    window: steadyWindow(samples, messages, EVENTS / messages),
  }
}

/** Seconds a bare KafkaJS consumer (no decoding, no writes) takes to read the whole topic. */
async function consumeOnly(kafka: Kafka, topic: string, messages: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-bare-${Date.now()}`,
    maxBytesPerPartition: DEFAULT_CONFIG.kafka.fetchMaxBytesPerPartition,
    maxBytes: 4 * DEFAULT_CONFIG.kafka.fetchMaxBytesPerPartition,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let seen = 0
  let startedMs = 0
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (seen === 0) startedMs = performance.now()
        seen += batch.messages.length
        if (seen >= messages) resolve()
        return Promise.resolve()
      },
    })
  })
  await done
  const seconds = (performance.now() - startedMs) / 1000
  await consumer.disconnect()
  return seconds
}

/**
 * The two stages after KafkaJS, each alone in this process on STAGE_ROWS rows: decoding and
 * mapping messages (JavaScript), and inserting the rows in batches of `kafka.maxBatchRows`
 * into a fresh embedded store (the engine's own threads).
 */
async function stageRates(format: MessageFormat): Promise<{ decode: number; insert: number }> {
  const timestamp = new Date().toISOString()
  const values =
    format === 'json'
      ? Array.from({ length: STAGE_ROWS }, (_, n) => Buffer.from(jsonEvent(n, timestamp)))
      : Array.from(
          { length: STAGE_ROWS / SPANS_PER_MESSAGE },
          (_, m) => OTLP_PAYLOADS[m % OTLP_PAYLOADS.length] as Buffer,
        )
  const options = { mapping: toMappingOptions(DEFAULT_CONFIG), maxMessageBytes: Infinity }
  const decodeStartedMs = performance.now()
  // Fetches of FETCH_MESSAGES messages, decoded as the worker decodes each fetch.
  const decodedValues = []
  for (let start = 0; start < values.length; start += FETCH_MESSAGES) {
    decodedValues.push(
      ...decodeMessages(format, values.slice(start, start + FETCH_MESSAGES), options),
    )
  }
  const messages: ConsumedMessage[] = decodedValues.map((decoded, offset) => {
    return {
      kind: 'message',
      offset: BigInt(offset),
      timestampMs: '0',
      decoded,
      rows: decoded.kind === 'rows' ? rowCount(decoded) : 0,
      key: null,
      value: null,
      receivedAtMs: 0,
    }
  })
  const rows = messages.reduce((sum, message) => sum + message.rows, 0)
  const decodeSeconds = (performance.now() - decodeStartedMs) / 1000
  const dataPath = mkdtempSync(join(tmpdir(), 'rh-kafka-bench-stage-'))
  const store = createStore({ ...DEFAULT_CONFIG.clickhouse, dataPath, database: 'stage' })
  await migrate({ store, ttlDays: DEFAULT_CONFIG.clickhouse.ttlDays })
  // Batches as the workers cut them, written by the workers' own batch writer.
  const writeBatch = createBatchWriter(store)
  const batchRows = DEFAULT_CONFIG.kafka.maxBatchRows
  const insertStartedMs = performance.now()
  for (let start = 0; start < messages.length;) {
    let end = start
    for (let held = 0; end < messages.length && held < batchRows; end++) held += messages[end]!.rows
    await writeBatch({
      topic: 'stage',
      partition: 0,
      token: `stage-${start}`,
      runs: messages.slice(start, end),
    })
    start = end
  }
  const insertSeconds = (performance.now() - insertStartedMs) / 1000
  await store.close()
  rmSync(dataPath, { recursive: true, force: true })
  return { decode: rows / decodeSeconds, insert: rows / insertSeconds }
}

/**
 * CPU seconds (all threads) a bare KafkaJS consumer spends in IDLE_SECONDS joined to a topic
 * with nothing new, in a process of its own, with or without `fixKafkaRequestQueue`.
 */
async function idleConsumerCpuSeconds(brokers: string, topic: string, fixed: boolean) {
  const script = `
    import { Kafka, logLevel } from 'kafkajs'
    import { fixKafkaRequestQueue } from ${JSON.stringify(join(REPO_ROOT, 'src/ingest/kafka/consumer/request-queue-fix.ts'))}
    if (${fixed}) fixKafkaRequestQueue()
    const kafka = new Kafka({ brokers: [${JSON.stringify(brokers)}], logLevel: logLevel.NOTHING })
    const consumer = kafka.consumer({ groupId: 'idle-${fixed}-${Date.now()}', maxWaitTimeInMs: 1000 })
    await consumer.connect()
    await consumer.subscribe({ topics: [${JSON.stringify(topic)}], fromBeginning: false })
    await consumer.run({ eachMessage: async () => {} })
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const before = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, ${IDLE_SECONDS * 1000}))
    const used = process.cpuUsage(before)
    console.log(String((used.user + used.system) / 1e6))
    await consumer.disconnect()`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  await new Promise((resolve) => child.once('exit', resolve))
  return Number(output.trim().split('\n').at(-1))
}

async function main(): Promise<void> {
  registerCompressionCodecs()
  const external = process.env.KAFKA_BROKERS ?? ''
  const broker = external === '' ? await startKafkaBroker({ heapMb: 1024 }) : undefined
  const brokers = broker?.brokers ?? external
  const kafka = new Kafka({
    clientId: 'kafka-bench',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  // Idempotent: a send retried under load must not write its messages twice (it did, once,
  // and the worker then rightly stored 1% more rows than the events produced).
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await admin.connect()
  await producer.connect()
  console.log(
    `node ${process.version}, ${EVENTS} events per format, ${PARTITIONS} partitions, compression ${COMPRESSION}`,
  )
  let lastTopic: string | undefined
  try {
    for (const format of FORMATS) {
      const topic = `bench_${format}_${Date.now()}`
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      })
      const producedMs = performance.now()
      const produced =
        format === 'json' ? await produceJson(producer, topic) : await produceOtlp(producer, topic)
      console.log(
        `${format}: produced ${produced.messages} messages, ${(produced.bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - producedMs) / 1000).toFixed(1)} s`,
      )
      lastTopic = topic
      const ends = await admin.fetchTopicOffsets(topic)
      const inTopic = ends.reduce((sum, { high }) => sum + Number(high), 0)
      if (inTopic !== produced.messages) {
        throw new Error(`${topic} holds ${inTopic} messages, ${produced.messages} were produced`)
      }
      const speedBefore = probeMachineSpeed()
      const run = await runWorker(admin, brokers, format, produced, broker?.pid)
      const speedAfter = probeMachineSpeed()
      console.log(
        `${format}: ${run.storedRows} rows stored (expected ${EVENTS}); ` +
          `${run.totalSeconds.toFixed(1)} s from process start => ${Math.round(EVENTS / run.totalSeconds)} events/s; ` +
          `${run.fromFirstBatchSeconds.toFixed(1)} s from the first batch written => ${Math.round(EVENTS / run.fromFirstBatchSeconds)} events/s; ` +
          `worker CPU ${run.cpuSeconds.toFixed(1)} s (all threads), peak RSS ${run.peakRssMb} MB; ` +
          describeSpeed(speedBefore, speedAfter),
      )
      if (run.window !== undefined) {
        const { events, seconds, cpuSeconds, brokerCpuSeconds, byThread } = run.window
        const per100k = (value: number) => ((value * 100_000) / events).toFixed(3)
        const threads = [...byThread]
          .filter(([, value]) => value > 0)
          .sort((a, b) => b[1] - a[1])
          .map(([name, value]) => `${name} ${per100k(value)}`)
          .join(', ')
        console.log(
          `${format}: steady state (10% to 90% committed): ${Math.round(events / seconds)} events/s, ` +
            `${per100k(cpuSeconds)} CPU-s per 100k events; by thread: ${threads}` +
            (brokerCpuSeconds === undefined
              ? ''
              : `; the broker meanwhile ${per100k(brokerCpuSeconds)} CPU-s per 100k events`),
        )
      }
      const bareSeconds = await consumeOnly(kafka, topic, produced.messages)
      console.log(
        `${format}: bare KafkaJS consumer, same topic: ${bareSeconds.toFixed(1)} s => ${Math.round(produced.messages / bareSeconds)} messages/s, ${Math.round(EVENTS / bareSeconds)} events/s`,
      )
      const stages = await stageRates(format)
      console.log(
        `${format}: stages alone on ${STAGE_ROWS} rows: decode + map ${Math.round(stages.decode)} events/s, embedded-store insert ${Math.round(stages.insert)} events/s`,
      )
      if (run.profileDir !== undefined) {
        console.log(
          `${format}: worker JavaScript thread by package (self time):\n${summarizeProfile(run.profileDir)}`,
        )
      }
    }
    if (IDLE_SECONDS > 0 && lastTopic !== undefined) {
      const released = await idleConsumerCpuSeconds(brokers, lastTopic, false)
      const fixed = await idleConsumerCpuSeconds(brokers, lastTopic, true)
      console.log(
        `idle consumer CPU over ${IDLE_SECONDS} s: ${released.toFixed(2)} s with KafkaJS's request queue as released, ${fixed.toFixed(2)} s with fixKafkaRequestQueue`,
      )
    }
  } finally {
    await producer.disconnect()
    await admin.disconnect()
    await broker?.stop()
  }
}

await main()
