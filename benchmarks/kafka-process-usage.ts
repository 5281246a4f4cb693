/**
 * Where a process spent its time and memory, for benchmarks/kafka-throughput.ts: CPU time and
 * peak memory from /proc, and the self time of its JavaScript thread by package from a
 * `--cpu-prof` profile.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** CPU seconds (all threads) and peak resident memory of a running process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return { cpuSeconds: ticks / 100, peakRssMb: Math.round(peakKb / 1024) }
}

/**
 * CPU seconds of a running process by thread name (`comm`: V8's `WorkerThread`, ClickHouse's
 * `MergeMutate`, ...), threads of one name summed. A thread that ended is not counted.
 */
export function threadUsage(pid: number): Map<string, number> {
  const byName = new Map<string, number>()
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim()
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100
      byName.set(name, (byName.get(name) ?? 0) + seconds)
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName
}

const TOP_BUCKETS = 14

interface ProfileNode {
  id: number
  callFrame: { url: string; functionName: string }
}

/** Self time of the worker's JavaScript thread by package, from its .cpuprofile. */
export function summarizeProfile(dir: string): string {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
  if (file === undefined) return '  (no profile written)'
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: ProfileNode[]
    samples: number[]
    timeDeltas: number[]
  }
  const bucketOf = new Map(profile.nodes.map((node) => [node.id, toBucket(node.callFrame)]))
  const micros = new Map<string, number>()
  profile.samples.forEach((id, index) => {
    const bucket = bucketOf.get(id) ?? 'other'
    micros.set(bucket, (micros.get(bucket) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  const total = [...micros.values()].reduce((sum, value) => sum + value, 0)
  const sorted = [...micros].sort((a, b) => b[1] - a[1])
  const rest = sorted.slice(TOP_BUCKETS).reduce((sum, [, value]) => sum + value, 0)
  return [...sorted.slice(0, TOP_BUCKETS), ['everything else', rest] as const]
    .map(([bucket, value]) => `  ${((100 * value) / total).toFixed(1).padStart(5)} %  ${bucket}`)
    .join('\n')
}

function toBucket({ url, functionName }: ProfileNode['callFrame']): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle: waiting for the broker or the engine)'
    if (functionName === '(garbage collector)') return '(garbage collector)'
    return `${functionName || '(native)'}`
  }
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (match !== null) return match[1] as string
  if (url.startsWith('node:')) return 'node: built-ins'
  const source = /\/(src\/[^/]+(?:\/[^/]+)?)\//.exec(url)
  return source === null ? url : (source[1] as string)
}
