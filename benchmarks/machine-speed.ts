/**
 * How fast this machine runs a fixed piece of work right now, for the throughput benchmarks to
 * print beside their figures.
 *
 * Why: the benchmark machine is a 2-vCPU guest on a shared host. When the host is busy, the
 * same work costs more CPU time on our threads (the guest's own load average and steal time
 * stay low), and every CPU-seconds-per-item figure of a run rises with it: on 2026-11-26 the
 * decoding thread of the Kafka worker spent 0.23 and 0.46 CPU-s per 100k identical events in
 * two runs ten minutes apart (benchmarks/RESULTS.md, "Where the figures stand"). The probe
 * says how fast the host ran just before and just after a run; it cannot vouch for the run
 * itself, as the host's speed moves within seconds.
 *
 * The work never changes with the project's code (a deterministic JSON document parsed and its
 * numbers summed, on the calling thread), so probes of different commits and days compare.
 * The score is documents per CPU-second of the calling thread (`process.threadCpuUsage`):
 * CPU time, not wall time, so a busy benchmark process does not lower it, only a slower CPU.
 */

/** The probe's document: ~1 MB of JSON in the shape of telemetry, the same on every call. */
const DOCUMENT = buildDocument()

/** CPU time each probe runs for. */
const PROBE_CPU_MS = 1_000

export interface MachineSpeed {
  /** Documents parsed per CPU-second of the probing thread: higher is faster. */
  readonly documentsPerCpuSecond: number
}

/** Parses the probe document for about a CPU-second and reports the rate. */
export function probeMachineSpeed(): MachineSpeed {
  let documents = 0
  let checksum = 0
  const started = process.threadCpuUsage()
  let usedMs = 0
  while (usedMs < PROBE_CPU_MS) {
    checksum += sumNumbers(JSON.parse(DOCUMENT) as Record<string, unknown>[])
    documents++
    const used = process.threadCpuUsage(started)
    usedMs = (used.user + used.system) / 1000
  }
  // The checksum is used so that the parse cannot be optimized away.
  if (!Number.isFinite(checksum)) throw new Error('machine speed probe: impossible checksum')
  return { documentsPerCpuSecond: Number(((documents * 1000) / usedMs).toFixed(1)) }
}

/** "machine speed probe 231.2 -> 243.5 docs/CPU-s", for a run's line. */
export function describeSpeed(before: MachineSpeed, after: MachineSpeed): string {
  return `machine speed probe ${before.documentsPerCpuSecond} -> ${after.documentsPerCpuSecond} docs/CPU-s`
}

function sumNumbers(records: readonly Record<string, unknown>[]): number {
  let sum = 0
  for (const record of records) {
    for (const value of Object.values(record)) {
      if (typeof value === 'number') sum += value
    }
  }
  return sum
}

function buildDocument(): string {
  const records: Record<string, unknown>[] = []
  let seed = 1
  const next = (): number => {
    // xorshift32: the same sequence on every machine.
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 0x1_0000_0000
  }
  for (let index = 0; index < 4_000; index++) {
    records.push({
      traceId: Math.floor(next() * 1e15)
        .toString(16)
        .padStart(16, '0'),
      service: `service-${Math.floor(next() * 20)}`,
      release: `1.${Math.floor(next() * 10)}.${Math.floor(next() * 10)}`,
      durationMs: Math.round(next() * 100_000) / 100,
      status: next() < 0.01 ? 'error' : 'ok',
      attributes: { 'http.route': `/api/v1/items/${index % 50}`, 'http.status_code': 200 },
      startNanos: 1_795_000_000_000 + index,
    })
  }
  return JSON.stringify(records)
}
