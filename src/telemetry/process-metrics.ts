import { readdirSync, readFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import type { Meter } from '@opentelemetry/api'

/**
 * The process and runtime metrics every Prometheus client library exposes, under the names
 * Prometheus users know (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...,
 * as prom-client names them for Node.js). They are registered on the Prometheus meter only:
 * OpenTelemetry pipelines have their own conventions for these (host-metrics, runtime-node).
 * Returns a function that stops the event-loop and GC observers.
 */
export function registerProcessMetrics(meter: Meter, options: { version: string }): () => void {
  const gauge = (name: string, description: string, read: () => number | undefined): void => {
    meter.createObservableGauge(name, { description }).addCallback((result) => {
      const value = read()
      if (value !== undefined) result.observe(value)
    })
  }
  const counter = (name: string, description: string, read: () => number): void => {
    meter.createObservableCounter(name, { description }).addCallback((result) => {
      result.observe(read())
    })
  }

  counter('process.cpu.user.seconds', 'User CPU time spent, in seconds', () => cpuSeconds('user'))
  counter('process.cpu.system.seconds', 'System CPU time spent, in seconds', () =>
    cpuSeconds('system'),
  )
  counter('process.cpu.seconds', 'User and system CPU time spent, in seconds', () =>
    cpuSeconds('both'),
  )
  gauge(
    'process.start.time.seconds',
    'Start time of the process since the Unix epoch, in seconds',
    () => Math.round(performance.timeOrigin) / 1000,
  )
  gauge('process.resident.memory.bytes', 'Resident memory size, in bytes', () =>
    process.memoryUsage.rss(),
  )
  gauge('process.open.fds', 'Open file descriptors', openFileDescriptors)
  gauge('process.max.fds', 'Maximum number of open file descriptors', maxFileDescriptors)
  gauge('nodejs.heap.size.total.bytes', 'V8 heap size, in bytes', () => readMemory('heapTotal'))
  gauge('nodejs.heap.size.used.bytes', 'V8 heap in use, in bytes', () => readMemory('heapUsed'))
  gauge('nodejs.external.memory.bytes', 'Memory of C++ objects bound to JavaScript, in bytes', () =>
    readMemory('external'),
  )
  gauge(
    'nodejs.active.resources',
    'Handles and requests keeping the event loop alive',
    () => process.getActiveResourcesInfo().length,
  )

  // Event-loop delay over the time since the last scrape, sampled every 20 ms.
  const delay = monitorEventLoopDelay({ resolution: 20 })
  delay.enable()
  let utilization = performance.eventLoopUtilization()
  meter
    .createObservableGauge('nodejs.eventloop.lag.seconds', {
      description:
        'Event-loop delay since the last scrape, by statistic (p50, p99, max), in seconds',
    })
    .addCallback((result) => {
      // Before the first sample (20 ms after start) every statistic is 0, as in prom-client.
      const sampled = delay.count > 0
      result.observe(sampled ? delay.percentile(50) / 1e9 : 0, { quantile: '0.5' })
      result.observe(sampled ? delay.percentile(99) / 1e9 : 0, { quantile: '0.99' })
      result.observe(sampled ? delay.max / 1e9 : 0, { quantile: '1' })
      delay.reset()
    })
  gauge(
    'nodejs.eventloop.utilization.ratio',
    'Share of time the event loop was busy since the last scrape',
    () => {
      const next = performance.eventLoopUtilization()
      const ratio = performance.eventLoopUtilization(next, utilization).utilization
      utilization = next
      return ratio
    },
  )

  const gcDuration = meter.createHistogram('nodejs.gc.duration.seconds', {
    description: 'Garbage collection pauses by kind, in seconds',
    advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1, 1, 2, 5] },
  })
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail
      const kind = GC_KINDS[detail?.kind ?? 0] ?? 'other'
      gcDuration.record(entry.duration / 1000, { kind })
    }
  })
  gcObserver.observe({ entryTypes: ['gc'] })

  const [major, minor, patch] = process.versions.node.split('.')
  meter
    .createObservableGauge('nodejs.version.info', {
      description: 'Node.js version, in the labels; the value is always 1',
    })
    .addCallback((result) =>
      result.observe(1, {
        version: process.version,
        major: major ?? '',
        minor: minor ?? '',
        patch: patch ?? '',
        release_health: options.version,
      }),
    )

  return () => {
    delay.disable()
    gcObserver.disconnect()
  }
}

/** perf_hooks' NODE_PERFORMANCE_GC_* flags, by value. */
const GC_KINDS: Readonly<Record<number, string>> = {
  1: 'major',
  2: 'minor',
  4: 'incremental',
  8: 'weakcb',
}

function cpuSeconds(mode: 'user' | 'system' | 'both'): number {
  const usage = process.cpuUsage()
  const micros =
    mode === 'user' ? usage.user : mode === 'system' ? usage.system : usage.user + usage.system
  return micros / 1e6
}

function readMemory(field: 'heapTotal' | 'heapUsed' | 'external'): number {
  return process.memoryUsage()[field]
}

/** Linux only (as in other Prometheus clients): elsewhere the series is left out. */
function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}

function maxFileDescriptors(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'))
    const soft = Number(line?.split(/\s{2,}/)[1])
    return Number.isFinite(soft) ? soft : undefined
  } catch {
    return undefined
  }
}
