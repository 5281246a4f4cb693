/**
 * String maps (attribute name -> value) as plain objects: V8 gives objects that share a key
 * set one hidden class, which makes building rows and serializing them to ClickHouse fast
 * (a prototype-less `Object.create(null)` map runs in slow dictionary mode instead). Senders
 * choose the keys, so the two places where a plain object could misread one go through here.
 */
export type StringRecord = Record<string, string>

/** Sets `key`; `__proto__` is defined as an own data property instead of changing the prototype. */
export function setEntry(record: StringRecord, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    record[key] = value
  }
}

/** The value of own property `key`, never an inherited one such as `constructor`. */
export function getEntry(record: Readonly<StringRecord>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
