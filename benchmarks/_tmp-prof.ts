import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeTraceRequestProtobuf } from '../src/ingest/otlp/decode-protobuf.ts'
import { decodeTracesToColumns } from '../src/ingest/otlp/decode-traces-columnar.ts'
import { mapSpans } from '../src/model/map-spans.ts'
import { toMappingOptions } from '../src/model/to-span-rows.ts'
import { createSpansChunkBuilder, encodeSpansBlock } from '../src/store/spans-block.ts'
import { buildRealisticPayload } from '../test/helpers/otel-payloads.ts'
const payload = buildRealisticPayload(1000).protobuf
const mapping = toMappingOptions(DEFAULT_CONFIG)
function cpu(fn: () => void, reps: number) {
  for (let i = 0; i < 20; i++) fn()
  const c0 = process.cpuUsage()
  for (let i = 0; i < reps; i++) fn()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000 / reps
}
for (let round = 0; round < 3; round++) {
  const a = cpu(() => {
    const b = createSpansChunkBuilder()
    decodeTracesToColumns(payload, mapping, b)
    b.finish()
  }, 300)
  const o = cpu(() => {
    const b = createSpansChunkBuilder()
    mapSpans(decodeTraceRequestProtobuf(payload), mapping, b)
    b.finish()
  }, 300)
  console.log(`columnar ${a.toFixed(2)} ms / 1000 spans; objects ${o.toFixed(2)} ms / 1000 spans`)
}
const chunks = Array.from({ length: 50 }, () => {
  const b = createSpansChunkBuilder()
  decodeTracesToColumns(payload, mapping, b)
  return b.finish()
})
console.log(
  'encode per 1000 spans',
  (
    cpu(() => {
      encodeSpansBlock(chunks)
    }, 10) / 50
  ).toFixed(2),
)
