import type { MappingOptions } from '../../model/map-spans.ts'
import { FLAG_KEY_ATTRIBUTE, FLAG_VARIANT_ATTRIBUTES } from '../../model/span-rules.ts'
import type { LowCardinalityColumn, StringMapColumn } from '../../store/native/native-columns.ts'
import { rangeEquals, readAnyValue, startsWith, Values } from './columnar-scratch.ts'
import { fieldTag, WIRE_TYPE, type ProtobufReader } from './protobuf-reader.ts'

const { lengthDelimited } = WIRE_TYPE
const KEY_VALUE = { key: fieldTag(1, lengthDelimited), value: fieldTag(2, lengthDelimited) }

const encoder = new TextEncoder()
/** What an attribute key means to the mapping (bits), classified once per dictionary key. */
const ROLE = { release: 1, flagPrefix: 2, flagKey: 4 } as const

/**
 * The attributes of the data point being decoded, as ranges of the request buffer (or text
 * for values that are not strings), and the writing of the point's attribute, flag,
 * release and environment columns from them without making JavaScript strings: the rules of
 * `mapMetrics`, for the protobuf path.
 */
export class PointAttributes {
  count = 0
  private keyStart = new Int32Array(32)
  private keyEnd = new Int32Array(32)
  private readonly values = new Values()
  private positions = new Uint32Array(32)
  // Flags of the point: key and variant as (range or text) pairs.
  private flagCount = 0
  private flagKeyStart = new Int32Array(8)
  private flagKeyEnd = new Int32Array(8)
  private flagKeyTexts: (string | undefined)[] = []
  private flagVariant = new Int32Array(8)
  private flagPositions = new Uint32Array(8)
  // Per attribute-key dictionary index: role bits and environment rank (+1), as keys appear.
  private roles = new Uint8Array(64)
  private environmentRanks = new Uint8Array(64)
  private classified = 0
  private readonly environmentAt: Int32Array
  private readonly environmentNames: readonly Uint8Array[]
  private readonly releaseName: Uint8Array
  private readonly flagPrefix: Uint8Array
  private readonly variantNames = FLAG_VARIANT_ATTRIBUTES.map((name) => encoder.encode(name))
  private readonly flagKeyName = encoder.encode(FLAG_KEY_ATTRIBUTE)
  private readonly r: ProtobufReader

  constructor(r: ProtobufReader, mapping: MappingOptions) {
    this.r = r
    this.environmentNames = mapping.environmentAttributes.map((name) => encoder.encode(name))
    this.environmentAt = new Int32Array(this.environmentNames.length)
    this.releaseName = encoder.encode(mapping.releaseAttribute)
    this.flagPrefix = encoder.encode(mapping.flagAttributePrefix)
  }

  /** Reads one `KeyValue` spanning `[r.pos, end)`. */
  keyValue(end: number): void {
    const r = this.r
    const i = this.add()
    this.keyStart[i] = this.keyEnd[i] = 0
    this.values.setText(i, '')
    while (r.pos < end) {
      const tag = r.tag(end, 'KeyValue')
      if (tag === KEY_VALUE.key) {
        this.keyStart[i] = r.utf8Range(end)
        this.keyEnd[i] = r.pos
      } else if (tag === KEY_VALUE.value) readAnyValue(r, r.lengthDelimited(end), this.values, i)
      else r.skip(tag, end)
    }
  }

  /**
   * Writes the point's `attributes`, `flags`, and (when the resource has none) `release` and
   * `environment` columns. `release`/`environment`: the resource's value index, or -1 to take
   * the point's own attribute.
   */
  write(
    columns: {
      readonly attributes: StringMapColumn
      readonly flags: StringMapColumn
      readonly release: LowCardinalityColumn
      readonly environment: LowCardinalityColumn
    },
    release: string | undefined,
    environment: string | undefined,
  ): void {
    const keys = columns.attributes.keys
    const bytes = this.r.bytes
    let releaseAt = -1
    let flagKeyAt = -1
    const environmentAt = this.environmentAt.fill(-1)
    this.flagCount = 0
    for (let a = 0; a < this.count; a++) {
      const position = keys.indexOfBytes(bytes, this.keyStart[a]!, this.keyEnd[a]!)
      this.positions[a] = position
      if (position >= this.classified) this.classify(keys)
      const role = this.roles[position]!
      if (role !== 0) {
        if (role & ROLE.release) releaseAt = a
        if (role & ROLE.flagKey) flagKeyAt = a
        if (role & ROLE.flagPrefix) {
          this.addFlag(this.keyStart[a]! + this.flagPrefix.length, this.keyEnd[a]!, undefined, a)
        }
      }
      const rank = this.environmentRanks[position]!
      if (rank !== 0) environmentAt[rank - 1] = a
    }
    if (flagKeyAt >= 0 && !this.isEmpty(flagKeyAt)) {
      const variant = this.variantAttribute()
      const start = this.values.start[flagKeyAt]!
      if (start < 0) this.addFlag(0, 0, this.values.texts[flagKeyAt], variant)
      else this.addFlag(start, this.values.end[flagKeyAt]!, undefined, variant)
    }

    if (environment !== undefined) columns.environment.string(environment)
    else {
      let chosen = -1
      for (let k = 0; k < environmentAt.length && chosen < 0; k++) {
        const at = environmentAt[k]!
        if (at >= 0 && !this.isEmpty(at)) chosen = at
      }
      columns.environment.index(chosen < 0 ? 0 : this.indexIn(columns.environment, chosen))
    }
    if (release !== undefined) columns.release.string(release)
    else {
      columns.release.index(
        releaseAt < 0 || this.isEmpty(releaseAt) ? 0 : this.indexIn(columns.release, releaseAt),
      )
    }
    this.writeFlags(columns.flags)
    columns.attributes.rowOfIndexes(this.positions, this.count, (a) =>
      this.writeValue(columns.attributes.values, a),
    )
  }

  /** The variant of a `feature_flag.key` attribute: the first variant attribute present. */
  private variantAttribute(): number {
    for (const name of this.variantNames) {
      const at = this.lastAttribute(name)
      if (at >= 0) return at
    }
    return -1
  }

  private writeFlags(flags: StringMapColumn): void {
    const bytes = this.r.bytes
    for (let f = 0; f < this.flagCount; f++) {
      const text = this.flagKeyTexts[f]
      this.flagPositions[f] =
        text !== undefined
          ? flags.keys.indexOf(text)
          : flags.keys.indexOfBytes(bytes, this.flagKeyStart[f]!, this.flagKeyEnd[f]!)
    }
    flags.rowOfIndexes(this.flagPositions, this.flagCount, (f) => {
      const variant = this.flagVariant[f]!
      if (variant < 0) flags.values.string('')
      else this.writeValue(flags.values, variant)
    })
  }

  /** A flag keyed by a byte range (or `text`), whose variant is attribute `variant` (-1: ''). */
  private addFlag(start: number, end: number, text: string | undefined, variant: number): void {
    const f = this.flagCount++
    if (f === this.flagKeyStart.length) {
      this.flagKeyStart = grow(this.flagKeyStart)
      this.flagKeyEnd = grow(this.flagKeyEnd)
      this.flagVariant = grow(this.flagVariant)
      const positions = new Uint32Array(f * 2)
      positions.set(this.flagPositions)
      this.flagPositions = positions
    }
    this.flagKeyStart[f] = start
    this.flagKeyEnd[f] = end
    this.flagKeyTexts[f] = text
    this.flagVariant[f] = variant
  }

  private writeValue(column: StringMapColumn['values'], a: number): void {
    const start = this.values.start[a]!
    if (start < 0) column.string(this.values.texts[a]!)
    else column.copy(this.r.bytes, start, this.values.end[a]!)
  }

  private indexIn(column: LowCardinalityColumn, a: number): number {
    const start = this.values.start[a]!
    return start < 0
      ? column.indexOf(this.values.texts[a]!)
      : column.indexOfBytes(this.r.bytes, start, this.values.end[a]!)
  }

  private isEmpty(a: number): boolean {
    return this.values.isEmpty(a)
  }

  private lastAttribute(name: Uint8Array): number {
    for (let a = this.count - 1; a >= 0; a--) {
      if (rangeEquals(this.r.bytes, this.keyStart[a]!, this.keyEnd[a]!, name)) return a
    }
    return -1
  }

  private classify(keys: LowCardinalityColumn): void {
    const size = keys.dictionary.size
    if (size > this.roles.length) {
      this.roles = growBytes(this.roles, size * 2)
      this.environmentRanks = growBytes(this.environmentRanks, size * 2)
    }
    const prefix = this.flagPrefix
    for (let position = this.classified; position < size; position++) {
      const key = keys.dictionary.bytesOf(position)
      let role = 0
      if (rangeEquals(key, 0, key.length, this.releaseName)) role |= ROLE.release
      if (rangeEquals(key, 0, key.length, this.flagKeyName)) role |= ROLE.flagKey
      if (prefix.length > 0 && key.length > prefix.length && startsWith(key, prefix)) {
        role |= ROLE.flagPrefix
      }
      this.roles[position] = role
      const rank = this.environmentNames.findIndex((name) => rangeEquals(key, 0, key.length, name))
      this.environmentRanks[position] = rank + 1
    }
    this.classified = size
  }

  private add(): number {
    const i = this.count++
    if (i === this.keyStart.length) {
      this.keyStart = grow(this.keyStart)
      this.keyEnd = grow(this.keyEnd)
      this.values.grow(this.keyStart.length)
      const positions = new Uint32Array(i * 2)
      positions.set(this.positions)
      this.positions = positions
    }
    return i
  }
}

function grow(array: Int32Array): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2)
  grown.set(array)
  return grown
}

function growBytes(array: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(size)
  grown.set(array)
  return grown
}
