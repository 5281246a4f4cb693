import type { MappingOptions } from '../../model/map-spans.ts'
import { mapLogs, type MapLogsOptions, type MapLogsResult } from '../../model/map-logs.ts'
import { createLogsChunkBuilder, type LogsChunk } from '../../store/logs-block.ts'
import { decodeLogsRequestJson } from './decode-logs-json.ts'
import { decodeLogsToColumns } from './decode-logs-columnar.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { toUtf8 } from './read-body.ts'

/** About what a log record with a few attributes and a line of text takes on the wire. */
const PROTOBUF_BYTES_PER_RECORD = 250
const JSON_BYTES_PER_RECORD = 600

/** One export request's accepted log records as a `logs` chunk, and what was refused. */
export interface DecodedLogs {
  readonly chunk: LogsChunk
  readonly result: MapLogsResult
}

/**
 * Decodes an ExportLogsServiceRequest (already decompressed) into a `logs` chunk: protobuf
 * from the wire straight into columns; JSON through objects, mapped by the same rules.
 * Pure and synchronous, so that it can run on a decoding thread.
 *
 * @throws RhError `RH_INGEST_UNDECODABLE` for a body that cannot be decoded.
 */
export function decodeLogs(
  body: Uint8Array,
  encoding: OtlpEncoding,
  mapping: MappingOptions,
  options: MapLogsOptions,
): DecodedLogs {
  const builder = createLogsChunkBuilder(
    body.byteLength / (encoding === 'json' ? JSON_BYTES_PER_RECORD : PROTOBUF_BYTES_PER_RECORD),
  )
  const result =
    encoding === 'json'
      ? mapLogs(decodeLogsRequestJson(toUtf8(body)), mapping, builder, options)
      : decodeLogsToColumns(body, mapping, builder, options)
  return { chunk: builder.finish(), result }
}
