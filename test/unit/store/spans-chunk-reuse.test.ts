import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeTraces } from '../../../src/ingest/otlp/decode-traces.ts'
import { packTypedArrays, unpackTypedArrays } from '../../../src/ingest/otlp/transferables.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { ByteSink } from '../../../src/store/native/byte-sink.ts'
import { createSpansChunkBuilder, encodeSpansBlock } from '../../../src/store/spans-block.ts'
import { mixedRequest } from '../../helpers/mixed-spans.ts'
import { encodeTraceRequest } from '../otlp/protobuf-writer.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** What a decoding thread posts for `body`: decoded with `reuse`, packed, unpacked. */
function viaThread(body: Uint8Array, reuse?: ReturnType<typeof createSpansChunkBuilder>) {
  return unpackTypedArrays(packTypedArrays(decodeTraces(body, 'protobuf', MAPPING, {}, reuse)))
}

describe('a spans chunk builder reused from request to request', () => {
  // Different sizes, resources and attribute keys, so that a stale value would show.
  const bodies = [
    encodeTraceRequest(mixedRequest(2_000, 4, 21)),
    encodeTraceRequest(mixedRequest(300, 2, 22)),
    encodeTraceRequest(mixedRequest(1_200, 6, 23)),
  ]

  it('gives each request the block a fresh builder gives it, byte for byte', () => {
    const reused = createSpansChunkBuilder(16)
    for (const body of bodies) {
      const fresh = viaThread(body)
      const again = viaThread(body, reused)
      expect(again.result).toEqual(fresh.result)
      expect(hexOf(encodeSpansBlock([again.chunk]))).toBe(hexOf(encodeSpansBlock([fresh.chunk])))
    }
  })

  it('encodes a batch into a reused sink as into a fresh one', () => {
    const chunks = bodies.map((body) => viaThread(body).chunk)
    const sink = new ByteSink(64)
    const expected = [hexOf(encodeSpansBlock(chunks)), hexOf(encodeSpansBlock(chunks.slice(1)))]
    expect(hexOf(encodeSpansBlock(chunks, sink))).toBe(expected[0])
    expect(hexOf(encodeSpansBlock(chunks.slice(1), sink))).toBe(expected[1])
  })
})
