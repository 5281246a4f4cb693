import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRhError } from '../../../src/errors.ts'
import { decodeTraceRequestJson } from '../../../src/ingest/otlp/decode-json.ts'
import { decodeTraceRequestProtobuf } from '../../../src/ingest/otlp/decode-protobuf.ts'
import { decodeTracesToColumns } from '../../../src/ingest/otlp/decode-traces-columnar.ts'
import { mapSpans } from '../../../src/model/map-spans.ts'
import { createSpansChunkBuilder, encodeSpansBlock } from '../../../src/store/spans-block.ts'
import type { TraceRequest } from '../../../src/ingest/otlp/otlp-types.ts'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { toMappingOptions, toSpanRows } from '../../../src/model/to-span-rows.ts'
import { buildRealisticPayload, buildTracePayload } from '../../helpers/otel-payloads.ts'

const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const REAL = buildRealisticPayload(6)

/**
 * Decodes and maps `input`; passes when that succeeds or fails with RH_INGEST_UNDECODABLE,
 * and fails the property on any other exception (a crash the receiver would turn into a 500).
 */
function decodesOrRefuses(decode: () => TraceRequest): boolean {
  let request: TraceRequest
  try {
    request = decode()
  } catch (error) {
    if (isRhError(error, 'RH_INGEST_UNDECODABLE')) return true
    throw error
  }
  toSpanRows(request, MAPPING)
  return true
}

/** A real payload with some bytes overwritten, inserted or removed. */
const mutatedProtobuf = fc
  .array(
    fc.tuple(
      fc.nat({ max: REAL.protobuf.length - 1 }),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((edits) => {
    const bytes = [...REAL.protobuf]
    for (const [position, byte, edit] of edits) {
      const at = Math.min(position, bytes.length)
      if (edit === 'set') bytes[at] = byte
      else if (edit === 'insert') bytes.splice(at, 0, byte)
      else bytes.splice(at, 1)
    }
    return Uint8Array.from(bytes)
  })

describe('OTLP decoders on arbitrary input', () => {
  it('never throw anything but RhError for arbitrary bytes (protobuf)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        decodesOrRefuses(() => decodeTraceRequestProtobuf(bytes)),
      ),
      { numRuns: 5_000 },
    )
  })

  it('never throw anything but RhError for mutated real payloads (protobuf)', () => {
    fc.assert(
      fc.property(mutatedProtobuf, (bytes) =>
        decodesOrRefuses(() => decodeTraceRequestProtobuf(bytes)),
      ),
      { numRuns: 3_000 },
    )
  })

  it('never throw anything but RhError for arbitrary or mutated bytes (protobuf into columns)', () => {
    const decodesToColumnsOrRefuses = (bytes: Uint8Array): boolean => {
      try {
        decodeTracesToColumns(bytes, MAPPING, createSpansChunkBuilder())
      } catch (error) {
        if (isRhError(error, 'RH_INGEST_UNDECODABLE')) return true
        throw error
      }
      return true
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesToColumnsOrRefuses), {
      numRuns: 5_000,
    })
    fc.assert(fc.property(mutatedProtobuf, decodesToColumnsOrRefuses), { numRuns: 3_000 })
  })

  it('map a mutated payload into the same columns from the wire as through objects, when the object decoder takes it', () => {
    fc.assert(
      fc.property(mutatedProtobuf, (bytes) => {
        let request: TraceRequest
        try {
          request = decodeTraceRequestProtobuf(bytes)
        } catch {
          return true
        }
        const objects = createSpansChunkBuilder()
        const columnar = createSpansChunkBuilder()
        // The columnar decoder reads less (other events' attributes, scopes), so it may take
        // what the object decoder refuses, never the reverse.
        expect(decodeTracesToColumns(bytes, MAPPING, columnar)).toEqual(
          mapSpans(request, MAPPING, objects),
        )
        expect(Buffer.from(encodeSpansBlock([columnar.finish()])).toString('hex')).toBe(
          Buffer.from(encodeSpansBlock([objects.finish()])).toString('hex'),
        )
        return true
      }),
      { numRuns: 3_000 },
    )
  })

  it('never throw anything but RhError for arbitrary bytes (JSON)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) =>
        decodesOrRefuses(() => decodeTraceRequestJson(bytes)),
      ),
      { numRuns: 2_000 },
    )
  })

  it('never throw anything but RhError for arbitrary JSON in any span field', () => {
    const fields = [
      'traceId',
      'spanId',
      'parentSpanId',
      'name',
      'kind',
      'startTimeUnixNano',
      'endTimeUnixNano',
      'attributes',
      'events',
      'status',
    ]
    const template = JSON.parse(REAL.json) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[]
    }
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (name, value) => {
        const request = structuredClone(template)
        request.resourceSpans[0]!.scopeSpans[0]!.spans[0]![name] = value
        return decodesOrRefuses(() => decodeTraceRequestJson(JSON.stringify(request)))
      }),
      { numRuns: 3_000 },
    )
  })

  it('never throw anything but RhError for arbitrary JSON bodies', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) =>
        decodesOrRefuses(() => decodeTraceRequestJson(JSON.stringify(value) ?? 'null')),
      ),
      { numRuns: 2_000 },
    )
  })
})

describe('protobuf and JSON decoding of SDK payloads', () => {
  const attributeValue = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.boolean(),
    fc.integer(),
    // The SDK's JSON serializer writes NaN and Infinity as null and -0 as 0, and integral
    // doubles beyond int64 wrap around in its protobuf serializer, so the two formats can
    // only agree on other doubles.
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((d) => !Object.is(d, -0) && (!Number.isInteger(d) || Number.isSafeInteger(d))),
    fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 3 }),
  )

  it('agree for arbitrary attribute values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1 }), attributeValue, {
          maxKeys: 8,
        }),
        (attributes) => {
          const payload = buildTracePayload({
            service: 'svc',
            spans: [{ name: 'span', attributes }],
          })
          expect(decodeTraceRequestJson(payload.json)).toEqual(
            decodeTraceRequestProtobuf(payload.protobuf),
          )
        },
      ),
      { numRuns: 300 },
    )
  })
})
