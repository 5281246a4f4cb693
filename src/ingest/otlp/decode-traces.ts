import type { MappingOptions, MapSpansOptions, MapSpansResult } from '../../model/map-spans.ts'
import { mapSpans } from '../../model/map-spans.ts'
import {
  createSpansChunkBuilder,
  type SpansChunk,
  type SpansChunkBuilder,
} from '../../store/spans-block.ts'
import { decodeTraceRequestJson } from './decode-json.ts'
import { decodeTracesToColumns } from './decode-traces-columnar.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { toUtf8 } from './read-body.ts'

/** About what a span with a dozen attributes takes on the wire, to size its columns. */
const PROTOBUF_BYTES_PER_SPAN = 400
const JSON_BYTES_PER_SPAN = 1_000

/** One export request's accepted spans as a `spans` chunk, and what was refused. */
export interface DecodedTraces {
  readonly chunk: SpansChunk
  readonly result: MapSpansResult
}

/**
 * Decodes an ExportTraceServiceRequest (already decompressed) into a `spans` chunk: protobuf
 * from the wire straight into columns; JSON, parsed into objects anyway, mapped from them by
 * the same rules. Synchronous, so that it can run on a decoding thread.
 *
 * `reuse`: a builder kept from one request to the next (a decoding thread's), emptied first;
 * the chunk then views its buffers and must be copied before the builder is used again. Its
 * buffers grow to the largest request and stay: sparing the allocation of a megabyte of
 * columns per request spares the garbage collector most of its work.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` for a body that cannot be decoded.
 */
export function decodeTraces(
  body: Uint8Array,
  encoding: OtlpEncoding,
  mapping: MappingOptions,
  options: MapSpansOptions,
  reuse?: SpansChunkBuilder,
): DecodedTraces {
  const builder =
    reuse ??
    createSpansChunkBuilder(
      body.byteLength / (encoding === 'json' ? JSON_BYTES_PER_SPAN : PROTOBUF_BYTES_PER_SPAN),
    )
  reuse?.reset()
  const result =
    encoding === 'json'
      ? mapSpans(decodeTraceRequestJson(toUtf8(body)), mapping, builder, options)
      : decodeTracesToColumns(body, mapping, builder, options)
  return { chunk: builder.finish(reuse !== undefined), result }
}
