import { describe, expect, it } from 'vitest'
import { packTypedArrays, unpackTypedArrays } from '../../../src/ingest/otlp/transferables.ts'

describe('packTypedArrays', () => {
  it('gives back the same value, its typed arrays as views of one buffer', () => {
    const big = new Uint32Array([1, 2, 3, 4, 5, 6])
    const value = {
      rows: 3,
      name: 'chunk',
      bytes: Uint8Array.of(9, 8, 7),
      part: { indexes: big.subarray(2, 5), arena: Buffer.from('ab'), starts: new Uint32Array(0) },
      list: [Float64Array.of(1.5, -2), null, 'x'],
    }
    const packed = packTypedArrays(value)
    const copy = unpackTypedArrays(structuredClone(packed))
    expect(copy).toEqual({
      rows: 3,
      name: 'chunk',
      bytes: Uint8Array.of(9, 8, 7),
      part: {
        indexes: Uint32Array.of(3, 4, 5),
        arena: Uint8Array.of(0x61, 0x62),
        starts: new Uint32Array(0),
      },
      list: [Float64Array.of(1.5, -2), null, 'x'],
    })
    expect(copy.bytes.buffer).toBe(copy.part.indexes.buffer)
  })
})
