import type { MapLogsOptions } from '../../model/map-logs.ts'
import type { MappingOptions, MapSpansOptions } from '../../model/map-spans.ts'
import { decodeLogs, type DecodedLogs } from './decode-logs.ts'
import { decodeMetrics, type DecodedMetrics } from './decode-metrics.ts'
import type { SpansChunkBuilder } from '../../store/spans-block.ts'
import { decodeTraces, type DecodedTraces } from './decode-traces.ts'
import type { OtlpEncoding } from './encode-response.ts'
import { decompressBody, type BodyCompression } from './content-encoding.ts'

/**
 * Each OTLP signal's decoder, by signal: what a decoding thread runs for a job. A new signal
 * is one entry here (and its `exportX` in `otlp-ingest.ts`).
 */
export interface SignalDecoders {
  readonly traces: (
    body: Uint8Array,
    encoding: OtlpEncoding,
    mapping: MappingOptions,
    options: MapSpansOptions,
    reuse?: SpansChunkBuilder,
  ) => DecodedTraces
  readonly logs: (
    body: Uint8Array,
    encoding: OtlpEncoding,
    mapping: MappingOptions,
    options: MapLogsOptions,
  ) => DecodedLogs
  readonly metrics: (
    body: Uint8Array,
    encoding: OtlpEncoding,
    mapping: MappingOptions,
    options: MapSpansOptions,
  ) => DecodedMetrics
}

export type DecodedSignal = keyof SignalDecoders

export const SIGNAL_DECODERS: SignalDecoders = {
  traces: decodeTraces,
  logs: decodeLogs,
  metrics: decodeMetrics,
}

/** The options and the result of decoding one request of signal `S`. */
export type DecodeOptionsOf<S extends DecodedSignal> = Parameters<SignalDecoders[S]>[3]
export type DecodedOf<S extends DecodedSignal> = ReturnType<SignalDecoders[S]>

/** Column builders a decoding thread keeps and reuses, by signal (a signal may have none). */
export interface ReusedBuilders {
  readonly traces?: SpansChunkBuilder
}

/**
 * Runs the decoder of `signal` (typed per signal; the table lookup loses that link), on
 * the body as `received`, decompressed first when `compression` says how.
 */
export function decodeSignal<S extends DecodedSignal>(
  signal: S,
  received: Uint8Array,
  encoding: OtlpEncoding,
  mapping: MappingOptions,
  options: DecodeOptionsOf<S>,
  reuse: ReusedBuilders = {},
  compression?: BodyCompression,
): DecodedOf<S> {
  const body = compression === undefined ? received : decompressBody(received, compression)
  const decode = SIGNAL_DECODERS[signal] as (
    body: Uint8Array,
    encoding: OtlpEncoding,
    mapping: MappingOptions,
    options: DecodeOptionsOf<S>,
    reuse?: unknown,
  ) => DecodedOf<S>
  return decode(body, encoding, mapping, options, signal === 'traces' ? reuse.traces : undefined)
}
