import { gzipSync, zstdCompressSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { createDecodePool } from '../../../src/ingest/otlp/decode-pool.ts'
import { decodeTraces } from '../../../src/ingest/otlp/decode-traces.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import { encodeSpansBlock } from '../../../src/store/spans-block.ts'
import { mixedRequest } from '../../helpers/mixed-spans.ts'
import { encodeTraceRequest } from '../../unit/otlp/protobuf-writer.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
// The pool takes ownership of each body it is given (it is transferred): send copies.
const bodies = [
  encodeTraceRequest(mixedRequest(1_500, 3, 31)),
  encodeTraceRequest(mixedRequest(200, 2, 32)),
  encodeTraceRequest(mixedRequest(900, 4, 33)),
]

describe('the decoding thread pool', () => {
  const pool = createDecodePool({ threads: 1 })
  afterAll(() => pool.close())

  it('decodes as the calling thread does, request after request, into buffers it is given back', async () => {
    for (let round = 0; round < 3; round++) {
      for (const body of bodies) {
        const expected = decodeTraces(body, 'protobuf', MAPPING, {})
        const decoded = await pool.decode('traces', new Uint8Array(body), 'protobuf', MAPPING, {})
        expect(decoded.result).toEqual(expected.result)
        expect(hexOf(encodeSpansBlock([decoded.chunk]))).toBe(
          hexOf(encodeSpansBlock([expected.chunk])),
        )
        pool.release(decoded)
        // Given back means gone from here: its buffer now belongs to the decoding thread.
        expect(decoded.chunk.timestamp.byteLength).toBe(0)
      }
    }
  })

  it('inflates a compressed body on the decoding thread, into the same rows', async () => {
    const body = bodies[0]!
    const expected = decodeTraces(body, 'protobuf', MAPPING, {})
    for (const [encoding, compressed] of [
      ['gzip', gzipSync(body)],
      ['zstd', zstdCompressSync(body)],
    ] as const) {
      const decoded = await pool.decode(
        'traces',
        compressed,
        'protobuf',
        MAPPING,
        {},
        {
          encoding,
          maxBytes: body.length,
          limitKey: 'otlp.http.maxBodyBytes',
        },
      )
      expect(decoded.result).toEqual(expected.result)
      expect(hexOf(encodeSpansBlock([decoded.chunk]))).toBe(
        hexOf(encodeSpansBlock([expected.chunk])),
      )
      pool.release(decoded)
    }
  })

  it('refuses a body that inflates past the limit, naming the setting, and decodes the next one', async () => {
    const body = bodies[1]!
    const refused = pool.decode(
      'traces',
      gzipSync(body),
      'protobuf',
      MAPPING,
      {},
      {
        encoding: 'gzip',
        maxBytes: body.length - 1,
        limitKey: 'otlp.grpc.maxMessageBytes',
      },
    )
    await expect(refused).rejects.toMatchObject({
      code: 'RH_INGEST_TOO_LARGE',
      message: expect.stringContaining('otlp.grpc.maxMessageBytes') as string,
    })
    const next = await pool.decode('traces', new Uint8Array(body), 'protobuf', MAPPING, {})
    expect(next.result.accepted).toBe(200)
    pool.release(next)
  })
})
