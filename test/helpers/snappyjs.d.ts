/** snappyjs (npm `snappyjs`, a dev dependency): Snappy compression for tests; it ships no types. */
declare module 'snappyjs' {
  export function uncompress<T extends Uint8Array>(compressed: T): T
  export function compress<T extends Uint8Array>(uncompressed: T): T
}
