/**
 * OTLP trace decoding throughput: protobuf and JSON decoding of a realistic 1,000-span
 * request as the OTel JS SDK serializes it, and the mapping of the decoded spans to rows.
 *
 *   cd /work/main && export PATH=$PWD/node_modules/.bin:$PATH && node benchmarks/otlp-decode.bench.ts
 *
 * Results are recorded in benchmarks/RESULTS.md under "OTLP decoding".
 */
import os from 'node:os'
import { Bench } from 'tinybench'
import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeTraceRequestJson } from '../src/ingest/otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../src/ingest/otlp/decode-protobuf.ts'
import { toMappingOptions, toSpanRows } from '../src/model/to-span-rows.ts'
import { buildRealisticPayload } from '../test/helpers/otel-payloads.ts'

const SPANS = 1_000

const payload = buildRealisticPayload(SPANS)
const decoded = decodeTraceRequestProtobuf(payload.protobuf)
const mapping = toMappingOptions(DEFAULT_CONFIG)
const jsonBytes = new TextEncoder().encode(payload.json)

const bench = new Bench({ name: 'otlp-decode', time: 2_000, warmupTime: 500 })
bench
  .add('decodeTraceRequestProtobuf', () => {
    decodeTraceRequestProtobuf(payload.protobuf)
  })
  .add('decodeTraceRequestJson (string)', () => {
    decodeTraceRequestJson(payload.json)
  })
  .add('decodeTraceRequestJson (UTF-8 bytes)', () => {
    decodeTraceRequestJson(jsonBytes)
  })
  .add('toSpanRows', () => {
    toSpanRows(decoded, mapping)
  })
  .add('protobuf decode + toSpanRows', () => {
    toSpanRows(decodeTraceRequestProtobuf(payload.protobuf), mapping)
  })

await bench.run()

console.log(
  `${SPANS} spans per request; protobuf ${payload.protobuf.length} bytes, JSON ${payload.json.length} bytes`,
)
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}`)
// Throughput is derived from the median latency, which a busy shared machine disturbs least;
// the mean (with GC pauses and preemption) and p99 are shown next to it.
console.table(
  bench.tasks.map((task) => {
    const result = task.result
    if (result.state !== 'completed') return { task: task.name, state: result.state }
    const { mean, p50, p99, samplesCount } = result.latency
    return {
      task: task.name,
      'ms/request (median)': p50.toFixed(3),
      'ms/request (mean)': mean.toFixed(3),
      'ms/request (p99)': p99.toFixed(3),
      'spans/s (median)': Math.round((1_000 / p50) * SPANS).toLocaleString('en-US'),
      samples: samplesCount,
    }
  }),
)
