import { setFlagsFromString } from 'node:v8'
import type { Logger } from '../logger.ts'

/**
 * V8 settings for `serve`, which streams request bodies through its main thread and decodes
 * them on worker threads:
 *
 * - `--semi-space-growth-factor=1`: the young generation keeps its starting size instead of
 *   doubling up to 32 MiB per semi-space. With a large young generation V8 starts a full,
 *   concurrent mark-compact whenever the old generation's headroom is smaller than it, which
 *   at 100k spans/s was two to three times a second on the main thread (37 MB of live heap
 *   marked each time, on V8's helper threads).
 * - `--heap-growing-percent=200`: the old generation may grow to three times its live size
 *   before the next full collection.
 *
 * Measured with `benchmarks/otlp-ingest-throughput.ts` (RESULTS.md, "V8's collector tuned for
 * ingest"); what it costs cached verdicts is in "With V8 tuned for ingest". Not for Kafka
 * workers: they decode on their main thread, where a small young generation promotes what a
 * batch decodes before it dies (`ingest-kafka` ran 40% slower tuned, RESULTS.md "Kafka
 * workers"), so `serve` undoes it when it consumes Kafka too, and `ingest-kafka` never has it.
 *
 * V8 reads both whenever it sizes a heap, so setting them at run time takes effect for the
 * main thread from its next collection and for every worker thread started afterwards. The
 * young generation never shrinks back, though: the flags must be set before the process loads
 * its modules, which is why `bin/release-health.js` calls {@link tuneThisProcessAtStart}
 * first and the command settles it with the configuration later.
 */
export const INGEST_GC_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=200']

/** V8's own values of the same flags (`node --v8-options`), to undo the tuning. */
const V8_DEFAULT_GC_FLAGS = ['--semi-space-growth-factor=2', '--heap-growing-percent=0']

/** The commands tuned: the OTLP receiver's, for as long as it runs. */
const TUNED_COMMANDS = new Set(['serve'])

/** Flags by which an operator sizes V8's heaps: when given, theirs are kept and ours skipped. */
const OPERATOR_GC_FLAGS = [
  '--max-semi-space-size',
  '--min-semi-space-size',
  '--semi-space-growth-factor',
  '--heap-growing-percent',
]

type SetFlags = (flags: string) => void

export interface TuneAtStartOptions {
  /** The command line, as `process.argv`: the command is its third word. */
  readonly argv: readonly string[]
  /** Node's own flags: `process.execArgv` and `NODE_OPTIONS` ({@link nodeFlagsOfProcess}). */
  readonly nodeFlags: readonly string[]
  /** Where the flags go; V8's own by default. */
  readonly setFlags?: SetFlags
}

/** What {@link tuneGarbageCollectorAtStart} did, for {@link settleGarbageCollectorTuning}. */
export interface GcTuning {
  /** The flags set, none when the command is not an ingest one or the operator sized the heaps. */
  readonly applied: readonly string[]
  /** The operator's own heap flags found, which were left as they are. */
  readonly operatorFlags: readonly string[]
}

/**
 * As the process starts, before it loads its modules: applies {@link INGEST_GC_FLAGS} for
 * `serve`, unless Node was given heap flags of its own.
 */
export function tuneGarbageCollectorAtStart(options: TuneAtStartOptions): GcTuning {
  const operatorFlags = options.nodeFlags.filter((flag) =>
    OPERATOR_GC_FLAGS.some((name) => flag === name || flag.startsWith(`${name}=`)),
  )
  if (!TUNED_COMMANDS.has(options.argv[2] ?? '') || operatorFlags.length > 0) {
    return { applied: [], operatorFlags }
  }
  const set = options.setFlags ?? setFlagsFromString
  for (const flag of INGEST_GC_FLAGS) set(flag)
  return { applied: INGEST_GC_FLAGS, operatorFlags }
}

export interface SettleOptions {
  /** `runtime.tuneGarbageCollector`. */
  readonly enabled: boolean
  /** Why the tuning must go even though enabled, e.g. the process consumes Kafka too. */
  readonly undoBecause?: string
  /** What was done at start; none when the process was not started by the CLI's entry point. */
  readonly tuning: GcTuning | undefined
  readonly logger: Logger
  readonly setFlags?: SetFlags
}

/**
 * Once the configuration is known: keeps the tuning done at start, or undoes it when
 * `runtime.tuneGarbageCollector` is false or `undoBecause` says why, and says what holds.
 */
export function settleGarbageCollectorTuning(options: SettleOptions): void {
  const { tuning, logger } = options
  if (tuning === undefined) return
  if (tuning.operatorFlags.length > 0) {
    logger.info(
      { flags: tuning.operatorFlags },
      'V8 heap flags given on the command line; runtime.tuneGarbageCollector leaves them as they are',
    )
    return
  }
  if (tuning.applied.length === 0) return
  if (options.enabled && options.undoBecause === undefined) {
    logger.debug({ flags: tuning.applied }, 'V8 tuned for ingest')
    return
  }
  const set = options.setFlags ?? setFlagsFromString
  for (const flag of V8_DEFAULT_GC_FLAGS) set(flag)
  logger.debug(
    {},
    `${options.undoBecause ?? 'runtime.tuneGarbageCollector is false'}: V8's own heap sizing`,
  )
}

/** Node's flags of this process: its command line's and `NODE_OPTIONS`'s. */
export function nodeFlagsOfProcess(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)]
}

/** What {@link tuneThisProcessAtStart} did in this process. */
let tuningAtStart: GcTuning | undefined

/** The tuning done as this process started; undefined when its entry point did none. */
export function gcTuningOfProcess(): GcTuning | undefined {
  return tuningAtStart
}

/** {@link tuneGarbageCollectorAtStart} for this process, remembered for {@link gcTuningOfProcess}. */
export function tuneThisProcessAtStart(): void {
  tuningAtStart = tuneGarbageCollectorAtStart({
    argv: process.argv,
    nodeFlags: nodeFlagsOfProcess(),
  })
}
