/**
 * The distinct ArrayBuffers under a value of plain objects, arrays and typed arrays: what a
 * message between threads can transfer instead of copy.
 */
export function transferablesOf(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer)
  } else if (Array.isArray(value)) {
    for (const item of value) transferablesOf(item, found)
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) transferablesOf(item, found)
  }
  return [...found]
}
