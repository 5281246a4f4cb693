import { ByteSink } from './byte-sink.ts'

/**
 * Native column builders for `Array(UInt64)`, `Array(Float64)` and `Nullable(Float64)`, the
 * shapes metric points add to those of `native-columns.ts` (same part-per-request design).
 * Serializations, as ClickHouse writes them in Native:
 * - `Array(T)`: the rows' cumulative end offsets (UInt64, over the whole block), then every
 *   element of every row as the nested column `T`;
 * - `Nullable(T)`: the null map (UInt8 per row, 1 = NULL), then the nested column with a
 *   default value in the NULL rows.
 */

/** One request's rows of an `Array` of fixed-width numbers. */
export interface NumberArrayPart {
  /** Elements per row. */
  readonly sizes: Uint32Array
  /** Every element, already in its fixed-width little-endian form. */
  readonly elements: Uint8Array
}

/** `Array(UInt64)` or `Array(Float64)`, built row by row. */
export class NumberArrayColumn {
  readonly elements: ByteSink
  private sizes: Uint32Array<ArrayBuffer>
  rows = 0

  /** Guesses of the rows and of the bytes of their elements, to spare growing. */
  constructor(initial: { rows?: number; elementBytes?: number } = {}) {
    this.sizes = new Uint32Array(Math.max(16, initial.rows ?? 256))
    this.elements = new ByteSink(Math.max(64, initial.elementBytes ?? 4096))
  }

  /** Ends a row whose `count` elements were appended to `elements`. */
  endRow(count: number): void {
    if (this.rows === this.sizes.length) {
      const grown = new Uint32Array(this.sizes.length * 2)
      grown.set(this.sizes)
      this.sizes = grown
    }
    this.sizes[this.rows++] = count
  }

  /** A row of non-negative integers below 2^53, as UInt64. */
  uint64Row(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.elements.uint64Number(values[i]!)
    this.endRow(values.length)
  }

  float64Row(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.elements.float64(values[i]!)
    this.endRow(values.length)
  }

  part(): NumberArrayPart {
    return { sizes: this.sizes.slice(0, this.rows), elements: this.elements.finish() }
  }

  static write(sink: ByteSink, parts: readonly NumberArrayPart[]): void {
    let offset = 0
    for (const { sizes } of parts) {
      for (let i = 0; i < sizes.length; i++) {
        offset += sizes[i]!
        sink.uint64Number(offset)
      }
    }
    for (const part of parts) sink.bytes(part.elements)
  }

  /** The bytes {@link write} takes for `parts`. */
  static sizeOf(parts: readonly NumberArrayPart[]): number {
    let bytes = 0
    for (const part of parts) bytes += part.sizes.length * 8 + part.elements.length
    return bytes
  }
}

/** One request's rows of a `Nullable(Float64)`. */
export interface NullableFloat64Part {
  readonly nulls: Uint8Array
  readonly values: Uint8Array
}

/** `Nullable(Float64)`: a value, or NULL for `null`. */
export class NullableFloat64Column {
  private readonly nulls: ByteSink
  private readonly values: ByteSink
  rows = 0

  constructor(initialRows = 256) {
    this.nulls = new ByteSink(Math.max(16, initialRows))
    this.values = new ByteSink(Math.max(16, initialRows) * 8)
  }

  value(value: number | null): void {
    this.nulls.uint8(value === null ? 1 : 0)
    this.values.float64(value ?? 0)
    this.rows++
  }

  part(): NullableFloat64Part {
    return { nulls: this.nulls.finish(), values: this.values.finish() }
  }

  static write(sink: ByteSink, parts: readonly NullableFloat64Part[]): void {
    for (const part of parts) sink.bytes(part.nulls)
    for (const part of parts) sink.bytes(part.values)
  }

  static sizeOf(parts: readonly NullableFloat64Part[]): number {
    let bytes = 0
    for (const part of parts) bytes += part.nulls.length + part.values.length
    return bytes
  }
}
