import { MAX_ANY_VALUE_DEPTH, type AnyValue, type KeyValue } from './otlp-types.ts'
import { fieldTag, WIRE_TYPE, type ProtobufReader } from './protobuf-reader.ts'

const { varint, fixed64, lengthDelimited } = WIRE_TYPE

// Field tags of opentelemetry-proto `common/v1/common.proto`.
const KEY_VALUE = { key: fieldTag(1, lengthDelimited), value: fieldTag(2, lengthDelimited) }
const ANY_VALUE = {
  string: fieldTag(1, lengthDelimited),
  bool: fieldTag(2, varint),
  int: fieldTag(3, varint),
  double: fieldTag(4, fixed64),
  array: fieldTag(5, lengthDelimited),
  kvlist: fieldTag(6, lengthDelimited),
  bytes: fieldTag(7, lengthDelimited),
}
/** `ArrayValue.values` and `KeyValueList.values` are both field 1. */
const LIST_VALUES = fieldTag(1, lengthDelimited)

/** Decodes one `KeyValue` message spanning `[r.pos, end)`. */
export function decodeKeyValue(r: ProtobufReader, end: number, depth = 0): KeyValue {
  let key = ''
  let value: AnyValue = null
  while (r.pos < end) {
    const tag = r.tag(end, 'KeyValue')
    if (tag === KEY_VALUE.key) key = r.string(end)
    else if (tag === KEY_VALUE.value) value = decodeAnyValue(r, r.lengthDelimited(end), depth)
    else r.skip(tag, end)
  }
  return { key, value }
}

/**
 * Decodes one `AnyValue` message spanning `[r.pos, end)`. A oneof seen twice keeps the last
 * case, as protobuf parsers do; a message with no case set is `null`.
 */
export function decodeAnyValue(r: ProtobufReader, end: number, depth: number): AnyValue {
  let value: AnyValue = null
  while (r.pos < end) {
    const tag = r.tag(end, 'AnyValue')
    switch (tag) {
      case ANY_VALUE.string:
        value = r.string(end)
        break
      case ANY_VALUE.bool:
        value = r.bool(end)
        break
      case ANY_VALUE.int:
        value = r.int64(end)
        break
      case ANY_VALUE.double:
        value = r.double(end)
        break
      case ANY_VALUE.array:
        value = decodeArrayValue(r, r.lengthDelimited(end), nested(r, depth))
        break
      case ANY_VALUE.kvlist:
        value = { kvlist: decodeKeyValueList(r, r.lengthDelimited(end), nested(r, depth)) }
        break
      case ANY_VALUE.bytes:
        value = r.bytesField(end)
        break
      default:
        r.skip(tag, end)
    }
  }
  return value
}

function decodeArrayValue(r: ProtobufReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'ArrayValue')
    if (tag === LIST_VALUES) values.push(decodeAnyValue(r, r.lengthDelimited(end), depth))
    else r.skip(tag, end)
  }
  return values
}

function decodeKeyValueList(r: ProtobufReader, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = []
  while (r.pos < end) {
    const tag = r.tag(end, 'KeyValueList')
    if (tag === LIST_VALUES) values.push(decodeKeyValue(r, r.lengthDelimited(end), depth))
    else r.skip(tag, end)
  }
  return values
}

function nested(r: ProtobufReader, depth: number): number {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw r.error(
      `attribute value nested deeper than ${MAX_ANY_VALUE_DEPTH} levels in ${r.fieldLabel()}`,
    )
  }
  return depth + 1
}
