import { setFlagsFromString } from 'node:v8'
import type { Logger } from '../logger.ts'

/**
 * V8 settings for a process that streams request bodies and decoded columns through it, as
 * `serve` and `ingest-kafka` do:
 *
 * - `--semi-space-growth-factor=1`: the young generation keeps its starting size instead of
 *   doubling up to 32 MiB per semi-space. With a large young generation V8 starts a full,
 *   concurrent mark-compact whenever the old generation's headroom is smaller than it, which
 *   at 100k spans/s was two to three times a second on the main thread (37 MB of live heap
 *   marked each time, on V8's helper threads).
 * - `--heap-growing-percent=200`: the old generation may grow to three times its live size
 *   before the next full collection.
 *
 * Measured with `benchmarks/otlp-ingest-throughput.ts` (RESULTS.md, "Garbage collection"):
 * V8's helper threads 0.15-0.18 -> 0.07 CPU-s per 100k spans and the main thread 0.17 -> 0.14,
 * peak RSS unchanged (776-819 MB).
 *
 * Both flags are read by V8 whenever it sizes a heap, so setting them here takes effect for
 * the main thread from its next collection and for every worker thread started afterwards.
 */
export const INGEST_GC_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=200']

/** Flags by which an operator sizes V8's heaps: when given, theirs are kept and ours skipped. */
const OPERATOR_GC_FLAGS = [
  '--max-semi-space-size',
  '--min-semi-space-size',
  '--semi-space-growth-factor',
  '--heap-growing-percent',
]

export interface TuneGarbageCollectorOptions {
  /** `runtime.tuneGarbageCollector`. */
  readonly enabled: boolean
  /** Node's own flags: `process.execArgv` and `NODE_OPTIONS`. */
  readonly nodeFlags: readonly string[]
  readonly logger: Logger
  /** Where the flags go; V8's own by default. */
  readonly setFlags?: (flags: string) => void
}

/**
 * Applies {@link INGEST_GC_FLAGS} unless turned off or the operator sized the heaps with Node
 * flags of their own. Call it before any worker thread starts. Returns the flags applied.
 */
export function tuneGarbageCollector(options: TuneGarbageCollectorOptions): readonly string[] {
  if (!options.enabled) return []
  const own = options.nodeFlags.filter((flag) =>
    OPERATOR_GC_FLAGS.some((name) => flag === name || flag.startsWith(`${name}=`)),
  )
  if (own.length > 0) {
    options.logger.info(
      { flags: own },
      'V8 heap flags given on the command line; runtime.tuneGarbageCollector leaves them as they are',
    )
    return []
  }
  const set = options.setFlags ?? setFlagsFromString
  for (const flag of INGEST_GC_FLAGS) set(flag)
  options.logger.debug({ flags: INGEST_GC_FLAGS }, 'V8 tuned for ingest')
  return INGEST_GC_FLAGS
}

/** Node's flags of this process: its command line's and `NODE_OPTIONS`'s. */
export function nodeFlagsOfProcess(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)]
}
