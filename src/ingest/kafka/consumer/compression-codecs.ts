import { promisify } from 'node:util'
import { zstdCompress, zstdDecompress } from 'node:zlib'
// The default import: Node's ESM loader cannot see these two among KafkaJS's named exports.
import kafkajs from 'kafkajs'
import createSnappyCodec from 'kafkajs-snappy'
import { compressFrame, decompressFrame } from 'lz4-napi'

/** A KafkaJS compression codec: how record batches of one compression type are (de)compressed. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

const zstdCompressAsync = promisify(zstdCompress)
const zstdDecompressAsync = promisify(zstdDecompress)

/**
 * zstd from Node's own zlib (Node ≥ 22.15): no native addon to build. The npm plugin
 * `@kafkajs/zstd` wraps `cppzst`, which no longer compiles against Node 24's headers.
 */
export const zstdCodec: Codec = {
  compress: (encoder) => zstdCompressAsync(encoder.buffer),
  decompress: (buffer) => zstdDecompressAsync(buffer),
}

/**
 * LZ4 record batches are LZ4 frames (the Java client's KafkaLZ4BlockOutputStream writes the
 * standard frame format since Kafka 0.10 / message format v1). `lz4-napi` (lz4_flex, prebuilt
 * per platform) decodes them off the main thread. The npm plugin `kafkajs-lz4` depends on
 * `lz4` 0.6, whose native module does not load on Node 24.
 */
export const lz4Codec: Codec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
}

let registered = false

/**
 * Teaches KafkaJS to read (and write) snappy, lz4 and zstd record batches besides gzip, which
 * it knows itself. Producers commonly compress with any of them (the OpenTelemetry Collector's
 * Kafka exporter defaults to none, Java producers are often set to lz4 or zstd); without a
 * codec KafkaJS fails the whole fetch with "... compression not implemented" and the partition
 * never moves. KafkaJS keeps codecs in one table per process, so this runs once.
 *
 * Snappy: the KafkaJS plugin `kafkajs-snappy` (pure JavaScript), which also reads the xerial
 * framing Java producers write.
 */
export function registerCompressionCodecs(): void {
  if (registered) return
  const { CompressionCodecs, CompressionTypes } = kafkajs
  CompressionCodecs[CompressionTypes.Snappy] = createSnappyCodec
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec
  registered = true
}
