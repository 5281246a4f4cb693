/** The KafkaJS Snappy codec plugin (npm `kafkajs-snappy`), which ships no types. */
declare module 'kafkajs-snappy' {
  const createSnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>
    decompress(buffer: Buffer): Promise<Buffer>
  }
  export default createSnappyCodec
}
