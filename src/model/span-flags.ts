import type { KeyValue, Span } from '../ingest/otlp/otlp-types.ts'
import { findAttribute } from './any-value-to-string.ts'
import { setEntry, type StringRecord } from './string-record.ts'

/** Span event names of a flag evaluation: current semantic conventions, then the legacy name. */
const FLAG_EVENT_NAMES = new Set(['feature_flag.evaluation', 'feature_flag'])

const NO_FLAGS: Readonly<StringRecord> = Object.freeze({})

/**
 * The feature flags evaluated in a span, flag key -> variant.
 *
 * Read from span events named `feature_flag.evaluation` (legacy: `feature_flag`) carrying
 * `feature_flag.key`, as the OpenTelemetry feature-flag semantic conventions and the
 * OpenFeature OpenTelemetry hooks record them. The variant is `feature_flag.result.variant`,
 * else the legacy `feature_flag.variant`, else the evaluated value `feature_flag.result.value`
 * as a string, else '' (the flag was evaluated but its outcome not recorded).
 *
 * With a non-empty `attributePrefix`, span attributes `<prefix><key>` count as flags too,
 * for services that tag spans instead of recording events; events win over attributes
 * because they follow the conventions. A flag evaluated twice keeps its last variant.
 */
export function toFlags(
  span: Span,
  spanAttributes: Readonly<StringRecord>,
  attributePrefix: string,
): Readonly<StringRecord> {
  let flags: StringRecord | undefined
  if (attributePrefix !== '') {
    for (const [name, value] of Object.entries(spanAttributes)) {
      if (name.length > attributePrefix.length && name.startsWith(attributePrefix)) {
        setEntry((flags ??= {}), name.slice(attributePrefix.length), value)
      }
    }
  }
  for (const event of span.events) {
    if (!FLAG_EVENT_NAMES.has(event.name)) continue
    const key = findAttribute(event.attributes, 'feature_flag.key')
    if (key === undefined || key === '') continue
    setEntry((flags ??= {}), key, toVariant(event.attributes))
  }
  return flags ?? NO_FLAGS
}

function toVariant(attributes: readonly KeyValue[]): string {
  return (
    findAttribute(attributes, 'feature_flag.result.variant') ??
    findAttribute(attributes, 'feature_flag.variant') ??
    findAttribute(attributes, 'feature_flag.result.value') ??
    ''
  )
}
