import { DEFAULT_CONFIG } from '../src/config/defaults.ts'
import { decodeTracesToColumns } from '../src/ingest/otlp/decode-traces-columnar.ts'
import { toMappingOptions } from '../src/model/to-span-rows.ts'
import { createSpansChunkBuilder } from '../src/store/spans-block.ts'
import { buildRealisticPayload } from '../test/helpers/otel-payloads.ts'
const payload = buildRealisticPayload(1000).protobuf
const mapping = toMappingOptions(DEFAULT_CONFIG)
const c0 = process.cpuUsage()
for (let i = 0; i < 2000; i++) {
  const b = createSpansChunkBuilder()
  decodeTracesToColumns(payload, mapping, b)
  b.finish()
}
const c = process.cpuUsage(c0)
console.log(((c.user + c.system) / 1000 / 2000).toFixed(2), 'ms/1000 spans')
