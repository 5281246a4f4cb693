type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array

const TYPED_ARRAYS = {
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int32Array,
  Float64Array,
} as const

/** Where a packed typed array lies in the shared buffer. */
interface PackedView {
  readonly packedView: keyof typeof TYPED_ARRAYS
  readonly byteOffset: number
  readonly length: number
}

/** A value whose typed arrays are copied into one buffer, ready to cross to another thread. */
export interface Packed<T> {
  readonly skeleton: unknown
  readonly buffer: ArrayBuffer
  /** For the type only: what {@link unpackTypedArrays} gives back. */
  readonly __type?: T
}

/**
 * Copies every typed array under `value` (plain objects and arrays of them) into a single
 * ArrayBuffer, leaving a small skeleton of plain objects that says where each one is. Sent to
 * another thread, the buffer is transferred once and the skeleton cloned: far cheaper than
 * transferring the dozens of buffers a column chunk holds one by one (measured: the transfer
 * of a chunk's ~60 buffers took 7% of a decoding thread).
 */
export function packTypedArrays<T>(value: T, spare?: ArrayBuffer): Packed<T> {
  const views: TypedArray[] = []
  collect(value, views)
  let bytes = 0
  for (const view of views) bytes = align8(bytes) + view.byteLength
  // A spare buffer large enough (one given back by the receiver) is filled instead of a new one.
  const buffer = spare !== undefined && spare.byteLength >= bytes ? spare : new ArrayBuffer(bytes)
  const target = new Uint8Array(buffer)
  const offsets = new Map<TypedArray, number>()
  let at = 0
  for (const view of views) {
    at = align8(at)
    target.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), at)
    offsets.set(view, at)
    at += view.byteLength
  }
  return { skeleton: skeletonOf(value, offsets), buffer }
}

/** The buffer of a value {@link unpackTypedArrays} gave: the one its typed arrays view. */
export function packedBufferOf(value: unknown): ArrayBuffer | undefined {
  const views: TypedArray[] = []
  collect(value, views)
  const buffer = views[0]?.buffer
  return buffer instanceof ArrayBuffer ? buffer : undefined
}

/** The value {@link packTypedArrays} packed, its typed arrays as views of the one buffer. */
export function unpackTypedArrays<T>(packed: Packed<T>): T {
  return rebuild(packed.skeleton, packed.buffer) as T
}

function collect(value: unknown, views: TypedArray[]): void {
  if (isTypedArray(value)) views.push(value)
  else if (Array.isArray(value)) for (const item of value) collect(item, views)
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collect(item, views)
  }
}

function skeletonOf(value: unknown, offsets: ReadonlyMap<TypedArray, number>): unknown {
  if (isTypedArray(value)) {
    const view: PackedView = {
      // A Buffer is a Uint8Array to the receiving side.
      packedView:
        value instanceof Uint8Array
          ? 'Uint8Array'
          : (value.constructor.name as keyof typeof TYPED_ARRAYS),
      byteOffset: offsets.get(value)!,
      length: value.length,
    }
    return view
  }
  if (Array.isArray(value)) return value.map((item) => skeletonOf(item, offsets))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, skeletonOf(item, offsets)]),
    )
  }
  return value
}

function rebuild(value: unknown, buffer: ArrayBuffer): unknown {
  if (Array.isArray(value)) return value.map((item) => rebuild(item, buffer))
  if (typeof value !== 'object' || value === null) return value
  if ('packedView' in value) {
    const { packedView, byteOffset, length } = value as PackedView
    return new TYPED_ARRAYS[packedView](buffer, byteOffset, length)
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, rebuild(item, buffer)]),
  )
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
}

/** Typed arrays of up to 8-byte elements must start at a multiple of their size. */
function align8(bytes: number): number {
  return (bytes + 7) & ~7
}
