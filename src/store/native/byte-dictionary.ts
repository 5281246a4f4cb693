const INITIAL_SLOTS = 256
const INITIAL_ARENA_BYTES = 4096
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const EMPTY = -1

/**
 * Byte strings interned to dense indexes: the dictionary of a `LowCardinality(String)` column.
 * Keys are looked up by their bytes (FNV-1a hash, open addressing), so the ingest path can
 * intern a protobuf string straight from the request buffer without making a JavaScript
 * string of it. Entry 0 is always the empty string, as ClickHouse's dictionaries have it.
 */
export class ByteDictionary {
  private arena = new Uint8Array(INITIAL_ARENA_BYTES)
  private arenaLength = 0
  /** Entry i is arena[starts[i], starts[i + 1]). */
  private starts: Uint32Array<ArrayBuffer> = new Uint32Array(64)
  private hashes: Uint32Array<ArrayBuffer> = new Uint32Array(64)
  private slots = new Int32Array(INITIAL_SLOTS).fill(EMPTY)
  size = 0

  constructor() {
    this.intern(new Uint8Array(), 0, 0)
  }

  /** Forgets every entry but '' and keeps the memory for the next ones. */
  reset(): void {
    this.arenaLength = 0
    this.size = 0
    this.slots.fill(EMPTY)
    this.intern(new Uint8Array(), 0, 0)
  }

  /** The index of `bytes[start, end)`, added when new. */
  intern(bytes: Uint8Array, start: number, end: number): number {
    let hash = FNV_OFFSET
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME)
    hash >>>= 0
    const mask = this.slots.length - 1
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!
      if (entry === EMPTY) return this.add(bytes, start, end, hash, slot)
      if (this.hashes[entry] === hash && this.equals(entry, bytes, start, end)) return entry
    }
  }

  /** The index of a JavaScript string, by its UTF-8 bytes. */
  internString(value: string): number {
    const bytes = Buffer.from(value, 'utf8')
    return this.intern(bytes, 0, bytes.length)
  }

  /** The bytes of entry `index` (a view into the dictionary: copy it to keep it). */
  bytesOf(index: number): Uint8Array {
    return this.arena.subarray(this.starts[index], this.startOf(index + 1))
  }

  /** Entry `index` as a string. */
  stringOf(index: number): string {
    return Buffer.from(this.bytesOf(index)).toString('utf8')
  }

  /**
   * Every entry's bytes and where each starts: a compact copy, or with `views` a view of the
   * dictionary itself, for a caller that copies it before the dictionary changes.
   */
  snapshot(views = false): DictionarySnapshot {
    return views
      ? {
          arena: this.arena.subarray(0, this.arenaLength),
          starts: this.starts.subarray(0, this.size + 1),
        }
      : {
          arena: this.arena.slice(0, this.arenaLength),
          starts: this.starts.slice(0, this.size + 1),
        }
  }

  private startOf(index: number): number {
    return index === this.size ? this.arenaLength : this.starts[index]!
  }

  /** Whether entry `index` is the bytes `bytes[start, end)`. */
  isEntry(index: number, bytes: Uint8Array, start: number, end: number): boolean {
    return index < this.size && this.equals(index, bytes, start, end)
  }

  private equals(entry: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = this.starts[entry]!
    const length = end - start
    if (this.startOf(entry + 1) - from !== length) return false
    const arena = this.arena
    for (let i = 0; i < length; i++) if (arena[from + i] !== bytes[start + i]) return false
    return true
  }

  private add(bytes: Uint8Array, start: number, end: number, hash: number, slot: number): number {
    const index = this.size
    const length = end - start
    if (this.arenaLength + length > this.arena.length) {
      let size = this.arena.length * 2
      while (size < this.arenaLength + length) size *= 2
      const grown = new Uint8Array(size)
      grown.set(this.arena.subarray(0, this.arenaLength))
      this.arena = grown
    }
    this.arena.set(bytes.subarray(start, end), this.arenaLength)
    if (index + 2 > this.starts.length) {
      this.starts = grow32(this.starts, this.starts.length * 2)
      this.hashes = grow32(this.hashes, this.hashes.length * 2)
    }
    this.starts[index] = this.arenaLength
    this.hashes[index] = hash
    this.arenaLength += length
    this.starts[index + 1] = this.arenaLength
    this.slots[slot] = index
    this.size++
    if (this.size * 2 > this.slots.length) this.rehash()
    return index
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY)
    const mask = slots.length - 1
    for (let index = 0; index < this.size; index++) {
      let slot = this.hashes[index]! & mask
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask
      slots[slot] = index
    }
    this.slots = slots
  }
}

/** A dictionary's entries, as one request's column part carries them. */
export interface DictionarySnapshot {
  readonly arena: Uint8Array
  /** Entry i is arena[starts[i], starts[i + 1]); length = entries + 1. */
  readonly starts: Uint32Array
}

function grow32(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(length)
  grown.set(array)
  return grown
}
