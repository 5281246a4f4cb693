import { ByteSink } from './byte-sink.ts'

/**
 * Column builders for ClickHouse's Native format, the binary columnar format a server and the
 * embedded engine read without parsing text (https://clickhouse.com/docs/interfaces/formats/Native).
 *
 * A builder collects one column's values for the rows of one request (a *part*); parts of many
 * requests are concatenated when a batch is written, so one request's rows can be left out of
 * a batch without decoding it again. The serializations, as ClickHouse writes them:
 * - fixed-width integers (and DateTime64, an Int64 of ticks): little-endian values;
 * - `String`: per value a VarUInt byte length and the bytes;
 * - `LowCardinality(String)`: a prefix (UInt64 key-serialization version 1), then per block an
 *   index type (UInt64: key width in the low byte, 0x200 "has additional keys", 0x400 "needs
 *   dictionary update"), the dictionary (UInt64 count, then `String` values, the default ''
 *   first), and the row indexes (UInt64 count, then keys of that width);
 * - `Map(K, V)`: the prefixes of K and V, the row end offsets (UInt64, cumulative), then the
 *   K column and the V column of all entries. With no entries the K and V data are absent.
 */

const LOW_CARDINALITY_VERSION = 1
const HAS_ADDITIONAL_KEYS = 0x200
const NEEDS_DICTIONARY_UPDATE = 0x400
const KEY_WIDTH_UINT8 = 0
const KEY_WIDTH_UINT16 = 1
const KEY_WIDTH_UINT32 = 2

/** Fixed-width values: UInt8, UInt16 or a 64-bit integer given as two 32-bit words. */
export class FixedColumn {
  readonly bytes = new ByteSink()
  rows = 0

  uint8(value: number): void {
    this.bytes.uint8(value)
    this.rows++
  }

  uint16(value: number): void {
    this.bytes.uint16(value)
    this.rows++
  }

  uint64(high: number, low: number): void {
    this.bytes.uint64(high, low)
    this.rows++
  }

  /** A 64-bit integer (UInt64, Int64, DateTime64) from a bigint in its range. */
  bigint64(value: bigint): void {
    this.bytes.bigint64(value)
    this.rows++
  }

  part(): Uint8Array {
    return this.bytes.toBytes()
  }

  static write(sink: ByteSink, parts: readonly Uint8Array[]): void {
    for (const part of parts) sink.bytes(part)
  }
}

/** `String` values. */
export class StringColumn {
  readonly bytes = new ByteSink()
  rows = 0

  string(value: string): void {
    this.bytes.string(value)
    this.rows++
  }

  asciiString(value: string): void {
    this.bytes.asciiString(value)
    this.rows++
  }

  /** Values already serialized as `String` (e.g. a resource's attributes, encoded once). */
  encoded(bytes: Uint8Array, rows: number): void {
    this.bytes.bytes(bytes)
    this.rows += rows
  }

  part(): Uint8Array {
    return this.bytes.toBytes()
  }

  static write(sink: ByteSink, parts: readonly Uint8Array[]): void {
    for (const part of parts) sink.bytes(part)
  }
}

/** One request's `LowCardinality(String)` values: its own dictionary and indexes into it. */
export interface LowCardinalityPart {
  readonly dictionary: readonly string[]
  readonly indexes: Uint32Array
}

/** `LowCardinality(String)` values, as indexes into a dictionary whose entry 0 is ''. */
export class LowCardinalityColumn {
  private readonly positions = new Map<string, number>([['', 0]])
  private readonly dictionary: string[] = ['']
  private indexes = new Uint32Array(256)
  rows = 0

  /** The dictionary index of `value`, added when new; append it with {@link index}. */
  indexOf(value: string): number {
    let position = this.positions.get(value)
    if (position === undefined) {
      position = this.dictionary.length
      this.positions.set(value, position)
      this.dictionary.push(value)
    }
    return position
  }

  string(value: string): void {
    this.index(this.indexOf(value))
  }

  index(position: number): void {
    if (this.rows === this.indexes.length) {
      const grown = new Uint32Array(this.indexes.length * 2)
      grown.set(this.indexes)
      this.indexes = grown
    }
    this.indexes[this.rows++] = position
  }

  part(): LowCardinalityPart {
    return { dictionary: this.dictionary.slice(), indexes: this.indexes.slice(0, this.rows) }
  }

  static writePrefix(sink: ByteSink): void {
    sink.uint64Number(LOW_CARDINALITY_VERSION)
  }

  /** One block's dictionary and indexes for the concatenation of `parts`. */
  static writeData(sink: ByteSink, parts: readonly LowCardinalityPart[]): void {
    const positions = new Map<string, number>([['', 0]])
    const dictionary: string[] = ['']
    const translations = parts.map((part) =>
      Uint32Array.from(part.dictionary, (value) => {
        let position = positions.get(value)
        if (position === undefined) {
          position = dictionary.length
          positions.set(value, position)
          dictionary.push(value)
        }
        return position
      }),
    )
    const rows = parts.reduce((sum, part) => sum + part.indexes.length, 0)
    const width = dictionary.length <= 0x100 ? 1 : dictionary.length <= 0x1_0000 ? 2 : 4
    const widthCode =
      width === 1 ? KEY_WIDTH_UINT8 : width === 2 ? KEY_WIDTH_UINT16 : KEY_WIDTH_UINT32
    sink.uint64Number(widthCode | HAS_ADDITIONAL_KEYS | NEEDS_DICTIONARY_UPDATE)
    sink.uint64Number(dictionary.length)
    for (const value of dictionary) sink.string(value)
    sink.uint64Number(rows)
    sink.reserve(rows * width)
    parts.forEach((part, p) => {
      const translation = translations[p]!
      const { indexes } = part
      for (let i = 0; i < indexes.length; i++) {
        const position = translation[indexes[i]!]!
        if (width === 1) sink.uint8(position)
        else if (width === 2) sink.uint16(position)
        else sink.uint32(position)
      }
    })
  }

  static write(sink: ByteSink, parts: readonly LowCardinalityPart[]): void {
    LowCardinalityColumn.writePrefix(sink)
    LowCardinalityColumn.writeData(sink, parts)
  }
}

/** One request's `Map(LowCardinality(String), String)` values. */
export interface StringMapPart {
  /** Entries per row. */
  readonly sizes: Uint32Array
  readonly keys: LowCardinalityPart
  readonly values: Uint8Array
}

/** `Map(LowCardinality(String), String)` values, built row by row. */
export class StringMapColumn {
  readonly keys = new LowCardinalityColumn()
  readonly values = new StringColumn()
  private sizes = new Uint32Array(256)
  rows = 0

  /** Ends a row whose `entries` keys and values were appended to `keys` and `values`. */
  endRow(entries: number): void {
    if (this.rows === this.sizes.length) {
      const grown = new Uint32Array(this.sizes.length * 2)
      grown.set(this.sizes)
      this.sizes = grown
    }
    this.sizes[this.rows++] = entries
  }

  /** A row of `keys[i]` -> `values[i]`. */
  row(keys: readonly string[], values: readonly string[], entries = keys.length): void {
    for (let i = 0; i < entries; i++) {
      this.keys.string(keys[i]!)
      this.values.string(values[i]!)
    }
    this.endRow(entries)
  }

  part(): StringMapPart {
    return {
      sizes: this.sizes.slice(0, this.rows),
      keys: this.keys.part(),
      values: this.values.part(),
    }
  }

  static write(sink: ByteSink, parts: readonly StringMapPart[]): void {
    LowCardinalityColumn.writePrefix(sink)
    let offset = 0
    for (const { sizes } of parts) {
      for (let i = 0; i < sizes.length; i++) {
        offset += sizes[i]!
        sink.uint64Number(offset)
      }
    }
    if (offset === 0) return
    LowCardinalityColumn.writeData(
      sink,
      parts.map((part) => part.keys),
    )
    StringColumn.write(
      sink,
      parts.map((part) => part.values),
    )
  }
}
