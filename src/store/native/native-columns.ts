import { ByteDictionary, type DictionarySnapshot } from './byte-dictionary.ts'
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
 *
 * Values arrive either as JavaScript strings or as byte ranges of a request buffer (the
 * protobuf decoder copies strings from the wire without making JavaScript strings of them).
 */

const LOW_CARDINALITY_VERSION = 1
const HAS_ADDITIONAL_KEYS = 0x200
const NEEDS_DICTIONARY_UPDATE = 0x400
const KEY_WIDTH_UINT8 = 0
const KEY_WIDTH_UINT16 = 1
const KEY_WIDTH_UINT32 = 2

/** Fixed-width values: UInt8, UInt16, 32- and 64-bit integers, Float64. */
export class FixedColumn {
  readonly bytes: ByteSink
  rows = 0

  /** `initialBytes`: a guess of the bytes the column will hold, to spare growing it. */
  constructor(initialBytes?: number) {
    this.bytes = new ByteSink(initialBytes)
  }

  uint8(value: number): void {
    this.bytes.uint8(value)
    this.rows++
  }

  uint16(value: number): void {
    this.bytes.uint16(value)
    this.rows++
  }

  /** A 64-bit integer given as its high and low 32-bit words. */
  uint64(high: number, low: number): void {
    this.bytes.uint64(high, low)
    this.rows++
  }

  /** An Int32 (two's complement) or UInt32. */
  int32(value: number): void {
    this.bytes.uint32(value >>> 0)
    this.rows++
  }

  /** A non-negative integer below 2^53 as UInt64. */
  uint64Number(value: number): void {
    this.bytes.uint64Number(value)
    this.rows++
  }

  float64(value: number): void {
    this.bytes.float64(value)
    this.rows++
  }

  /** A 64-bit integer (UInt64, Int64, DateTime64) from a bigint in its range. */
  bigint64(value: bigint): void {
    this.bytes.bigint64(value)
    this.rows++
  }

  /** The column's bytes; with `views`, a view for a caller that copies it before more writes. */
  part(views = false): Uint8Array {
    return views ? this.bytes.view8() : this.bytes.finish()
  }

  /** Empties the column, keeping its memory (parts taken as views become stale). */
  reset(): void {
    this.bytes.reset()
    this.rows = 0
  }

  static write(sink: ByteSink, parts: readonly Uint8Array[]): void {
    for (const part of parts) sink.bytes(part)
  }

  /** The bytes {@link write} takes for `parts`. */
  static sizeOf(parts: readonly Uint8Array[]): number {
    let bytes = 0
    for (const part of parts) bytes += part.length
    return bytes
  }
}

/** `String` values. */
export class StringColumn {
  readonly bytes: ByteSink
  rows = 0

  /** `initialBytes`: a guess of the bytes the column will hold, to spare growing it. */
  constructor(initialBytes?: number) {
    this.bytes = new ByteSink(initialBytes)
  }

  string(value: string): void {
    this.bytes.string(value)
    this.rows++
  }

  /** The UTF-8 (or binary) bytes `source[start, end)` as one value. */
  copy(source: Uint8Array, start: number, end: number): void {
    this.bytes.lengthPrefixed(source, start, end)
    this.rows++
  }

  /** The bytes `source[start, end)` as one value written in lower-case hex. */
  hex(source: Uint8Array, start: number, end: number): void {
    this.bytes.hex(source, start, end)
    this.rows++
  }

  /** Values already serialized as `String` (e.g. a resource's attributes, encoded once). */
  encoded(bytes: Uint8Array, rows: number): void {
    this.bytes.bytes(bytes)
    this.rows += rows
  }

  /** The column's bytes; with `views`, a view for a caller that copies it before more writes. */
  part(views = false): Uint8Array {
    return views ? this.bytes.view8() : this.bytes.finish()
  }

  /** Empties the column, keeping its memory (parts taken as views become stale). */
  reset(): void {
    this.bytes.reset()
    this.rows = 0
  }

  static write(sink: ByteSink, parts: readonly Uint8Array[]): void {
    for (const part of parts) sink.bytes(part)
  }

  /** The bytes {@link write} takes for `parts`. */
  static sizeOf(parts: readonly Uint8Array[]): number {
    let bytes = 0
    for (const part of parts) bytes += part.length
    return bytes
  }

  /** Values `[from, to)` of a part, a view of it: found by reading the lengths before them. */
  static range(part: Uint8Array, from: number, to: number): Uint8Array {
    let at = 0
    let start = 0
    for (let value = 0; value < to; value++) {
      if (value === from) start = at
      let length = 0
      let shift = 0
      let byte: number
      do {
        byte = part[at++]!
        length += (byte & 0x7f) * 2 ** shift
        shift += 7
      } while (byte >= 0x80)
      at += length
    }
    return part.subarray(from === to ? at : start, at)
  }
}

/** One request's `LowCardinality(String)` values: its own dictionary and indexes into it. */
export interface LowCardinalityPart {
  readonly dictionary: DictionarySnapshot
  readonly indexes: Uint32Array
}

/** `LowCardinality(String)` values, as indexes into a dictionary whose entry 0 is ''. */
export class LowCardinalityColumn {
  readonly dictionary = new ByteDictionary()
  /** JavaScript strings seen before, so that a repeated one is not encoded again. */
  private readonly byString = new Map<string, number>([['', 0]])
  private indexes: Uint32Array<ArrayBuffer>

  /** `initialRows`: a guess of the rows the column will hold, to spare growing it. */
  constructor(initialRows = 256) {
    this.indexes = new Uint32Array(Math.max(16, initialRows))
  }
  // Consecutive rows often repeat a value (a resource's service, a constant kind): comparing
  // with the last one is cheaper than hashing it again.
  private lastValue = ''
  private lastPosition = 0
  rows = 0

  /** The dictionary index of a string, added when new; append it with {@link index}. */
  indexOf(value: string): number {
    if (value === this.lastValue) return this.lastPosition
    let position = this.byString.get(value)
    if (position === undefined) {
      position = this.dictionary.internString(value)
      this.byString.set(value, position)
    }
    this.lastValue = value
    this.lastPosition = position
    return position
  }

  /** The dictionary index of the bytes `source[start, end)`, added when new. */
  indexOfBytes(source: Uint8Array, start: number, end: number): number {
    return this.dictionary.intern(source, start, end)
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

  /** The column's part; with `views`, views for a caller that copies them before more writes. */
  part(views = false): LowCardinalityPart {
    const { rows, indexes } = this
    return {
      dictionary: this.dictionary.snapshot(views),
      indexes:
        views || rows * 4 >= indexes.length * 3
          ? indexes.subarray(0, rows)
          : indexes.slice(0, rows),
    }
  }

  /** Empties the column and its dictionary, keeping their memory. */
  reset(): void {
    this.dictionary.reset()
    this.byString.clear()
    this.byString.set('', 0)
    this.lastValue = ''
    this.lastPosition = 0
    this.rows = 0
  }

  static writePrefix(sink: ByteSink): void {
    sink.uint64Number(LOW_CARDINALITY_VERSION)
  }

  /** One block's dictionary and indexes for the concatenation of `parts`. */
  static writeData(sink: ByteSink, parts: readonly LowCardinalityPart[]): void {
    const merged = new ByteDictionary()
    const translations = parts.map(({ dictionary: { arena, starts } }) => {
      const translation = new Uint32Array(starts.length - 1)
      for (let i = 0; i < translation.length; i++) {
        translation[i] = merged.intern(arena, starts[i]!, starts[i + 1]!)
      }
      return translation
    })
    let rows = 0
    for (const part of parts) rows += part.indexes.length
    const entries = merged.size
    const width = entries <= 0x100 ? 1 : entries <= 0x1_0000 ? 2 : 4
    const widthCode =
      width === 1 ? KEY_WIDTH_UINT8 : width === 2 ? KEY_WIDTH_UINT16 : KEY_WIDTH_UINT32
    sink.uint64Number(widthCode | HAS_ADDITIONAL_KEYS | NEEDS_DICTIONARY_UPDATE)
    sink.uint64Number(entries)
    for (let entry = 0; entry < entries; entry++) {
      const bytes = merged.bytesOf(entry)
      sink.lengthPrefixed(bytes, 0, bytes.length)
    }
    sink.uint64Number(rows)
    parts.forEach((part, p) => sink.indexes(part.indexes, translations[p]!, width))
  }

  static write(sink: ByteSink, parts: readonly LowCardinalityPart[]): void {
    LowCardinalityColumn.writePrefix(sink)
    LowCardinalityColumn.writeData(sink, parts)
  }

  /** Rows `[from, to)` of a part: its dictionary whole, a view of their indexes. */
  static range(part: LowCardinalityPart, from: number, to: number): LowCardinalityPart {
    return { dictionary: part.dictionary, indexes: part.indexes.subarray(from, to) }
  }

  /** At most the bytes {@link write} takes for `parts` (every dictionary entry kept apart). */
  static sizeOf(parts: readonly LowCardinalityPart[]): number {
    let bytes = 40
    for (const { dictionary, indexes } of parts) {
      bytes += dictionary.arena.length + dictionary.starts.length * 9 + indexes.length * 4
    }
    return bytes
  }
}

/** One request's `Map(LowCardinality(String), String)` values. */
export interface StringMapPart {
  /** Entries per row. */
  readonly sizes: Uint32Array
  readonly keys: LowCardinalityPart
  readonly values: Uint8Array
}

/**
 * `Map(LowCardinality(String), String)` values, built row by row. A key given more than once in
 * a row is stored once, at its first position, with its last value (as OTLP attributes read).
 * Repeats are found through the keys' dictionary indexes, so the common case of none costs
 * one comparison per key.
 */
export class StringMapColumn {
  readonly keys: LowCardinalityColumn
  readonly values: StringColumn
  private sizes: Uint32Array<ArrayBuffer>
  /** Per dictionary index, the row that last used it: finds a key repeated within a row. */
  private seen = new Uint32Array(256)
  private rowStamp = 0
  private readonly positions: number[] = []
  rows = 0

  /** Guesses of the rows, and of the entries and bytes of their values, to spare growing. */
  constructor(initial: { rows?: number; entries?: number; valueBytes?: number } = {}) {
    this.keys = new LowCardinalityColumn(initial.entries)
    this.values = new StringColumn(initial.valueBytes)
    this.sizes = new Uint32Array(Math.max(16, initial.rows ?? 256))
  }

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
  row(keys: readonly string[], values: readonly string[]): void {
    const count = keys.length
    const positions = this.positions
    positions.length = count
    for (let i = 0; i < count; i++) positions[i] = this.keys.indexOf(keys[i]!)
    if (this.hasRepeats(positions, count)) {
      this.uniqueRow(positions, count, (i) => this.values.string(values[i]!))
      return
    }
    for (let i = 0; i < count; i++) {
      this.keys.index(positions[i]!)
      this.values.string(values[i]!)
    }
    this.endRow(count)
  }

  /**
   * A row whose keys are dictionary indexes (from `keys.indexOfBytes`) and whose values are
   * written by `writeValue(i)`, which must append exactly one value to `values`.
   */
  rowOfIndexes(
    positions: ArrayLike<number>,
    count: number,
    writeValue: (entry: number) => void,
  ): void {
    if (this.hasRepeats(positions, count)) {
      this.uniqueRow(positions, count, writeValue)
      return
    }
    for (let i = 0; i < count; i++) {
      this.keys.index(positions[i]!)
      writeValue(i)
    }
    this.endRow(count)
  }

  /**
   * Whether a row's key indexes name a key more than once (such a row is written through
   * {@link rowOfIndexes}, which keeps each key once). Each call starts a new row's check.
   */
  hasRepeats(positions: ArrayLike<number>, count: number): boolean {
    const stamp = ++this.rowStamp
    let repeated = false
    for (let i = 0; i < count; i++) {
      const position = positions[i]!
      if (position >= this.seen.length) this.growSeen(position)
      if (this.seen[position] === stamp) repeated = true
      this.seen[position] = stamp
    }
    return repeated
  }

  private uniqueRow(
    positions: ArrayLike<number>,
    count: number,
    writeValue: (entry: number) => void,
  ): void {
    const last = new Map<number, number>()
    for (let i = 0; i < count; i++) last.set(positions[i]!, i)
    let entries = 0
    for (let i = 0; i < count; i++) {
      const position = positions[i]!
      const at = last.get(position)!
      if (at < 0) continue
      this.keys.index(position)
      writeValue(at)
      last.set(position, -1)
      entries++
    }
    this.endRow(entries)
  }

  private growSeen(position: number): void {
    const grown = new Uint32Array(Math.max(position + 1, this.seen.length * 2))
    grown.set(this.seen)
    this.seen = grown
  }

  /** The column's part; with `views`, views for a caller that copies them before more writes. */
  part(views = false): StringMapPart {
    return {
      sizes: views ? this.sizes.subarray(0, this.rows) : this.sizes.slice(0, this.rows),
      keys: this.keys.part(views),
      values: this.values.part(views),
    }
  }

  /** Empties the column, keeping its memory. */
  reset(): void {
    this.keys.reset()
    this.values.reset()
    this.rows = 0
  }

  /** Rows `[from, to)` of a part, as views of it. */
  static range(part: StringMapPart, from: number, to: number): StringMapPart {
    let first = 0
    for (let row = 0; row < from; row++) first += part.sizes[row]!
    let end = first
    for (let row = from; row < to; row++) end += part.sizes[row]!
    return {
      sizes: part.sizes.subarray(from, to),
      keys: LowCardinalityColumn.range(part.keys, first, end),
      values: StringColumn.range(part.values, first, end),
    }
  }

  /** At most the bytes {@link write} takes for `parts`. */
  static sizeOf(parts: readonly StringMapPart[]): number {
    let bytes = 8
    for (const part of parts) bytes += part.sizes.length * 8
    return (
      bytes +
      LowCardinalityColumn.sizeOf(parts.map((part) => part.keys)) +
      StringColumn.sizeOf(parts.map((part) => part.values))
    )
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
