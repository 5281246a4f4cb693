import type { MappingOptions, MapSpansOptions, MapSpansResult } from '../../model/map-spans.ts'
import { mapSpans } from '../../model/map-spans.ts'
import { createSpansChunkBuilder, type SpansChunk } from '../../store/spans-block.ts'
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
 * the same rules. Pure and synchronous, so that it can run on a decoding thread.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` for a body that cannot be decoded.
 */
export function decodeTraces(
  body: Uint8Array,
  encoding: OtlpEncoding,
  mapping: MappingOptions,
  options: MapSpansOptions,
): DecodedTraces {
  const builder = createSpansChunkBuilder(
    body.byteLength / (encoding === 'json' ? JSON_BYTES_PER_SPAN : PROTOBUF_BYTES_PER_SPAN),
  )
  const result =
    encoding === 'json'
      ? mapSpans(decodeTraceRequestJson(toUtf8(body)), mapping, builder, options)
      : decodeTracesToColumns(body, mapping, builder, options)
  return { chunk: builder.finish(), result }
}
