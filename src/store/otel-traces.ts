import { RhError } from '../errors.ts'
import type { SpanTables } from './cohort-queries.ts'
import type { Config } from '../config/defaults.ts'
import {
  FLAG_EVENT_NAMES,
  FLAG_KEY_ATTRIBUTE,
  FLAG_VARIANT_ATTRIBUTES,
  HTTP_STATUS_ATTRIBUTE,
  LEGACY_HTTP_STATUS_ATTRIBUTE,
  UNKNOWN_SERVICE,
} from '../model/span-rules.ts'

/**
 * A span source over the traces table of the OpenTelemetry Collector's ClickHouse exporter
 * (`otel_traces`, the schema ClickStack/HyperDX and many teams already fill): the view
 * `otel_spans` presents its rows as `spans` rows, by the same rules release-health applies to
 * spans it ingests (`src/model/span-rules.ts`), and analyses read it instead of `spans` (all
 * of them, or those whose policy says `source: otel_traces`, see `src/store/span-sources.ts`).
 * Nothing is ever written to the exporter's table; the one object release-health may add on
 * its side is the optional rollup's materialized views (`src/store/otel-rollup.ts`).
 *
 * The exporter's columns used: `Timestamp` (span start), `ServiceName`, `ResourceAttributes`
 * and `SpanAttributes` (Map(LowCardinality(String), String)), `SpanKind`, `StatusCode`,
 * `ParentSpanId`, `Duration` (nanoseconds), `Events.Name` and `Events.Attributes`. Span kinds
 * and status codes are read in both spellings the exporter has written over its versions
 * (`SPAN_KIND_SERVER` and `Server`, `STATUS_CODE_ERROR` and `Error`).
 */
export const OTEL_SPANS_VIEW = 'otel_spans'

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/
/** Attribute names the mapping may put in the view's SQL text as literals. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.:/-]+$/

const SERVER_KINDS = ['SPAN_KIND_SERVER', 'Server']
const ENTRY_KINDS = [...SERVER_KINDS, 'SPAN_KIND_CONSUMER', 'Consumer']
const ERROR_STATUSES = ['STATUS_CODE_ERROR', 'Error']

/** `database.table` of the exporter's traces table, checked: it is written into SQL text. */
export function toOtelTracesTable(value: string): string {
  if (!TABLE_NAME.test(value)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `config key "clickhouse.otelTraces.table" must be database.table (letters, digits, _), got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/**
 * `CREATE OR REPLACE VIEW {db}.otel_spans`: the exporter's rows as `spans` rows, for the
 * columns verdicts read (`src/store/cohort-queries.ts`).
 */
export function toOtelSpansViewStatement(
  database: string,
  table: string,
  mapping: Config['mapping'],
): string {
  return `CREATE OR REPLACE VIEW ${database}.${OTEL_SPANS_VIEW} AS
${toOtelSpansSelect(table, mapping)}`
}

/**
 * The SELECT behind the `otel_spans` view: the rows of the exporter's `table` as `spans` rows.
 * The rollups of that table (`src/store/otel-rollup.ts`) aggregate the same SELECT, so that
 * they hold exactly what a query of the view would find.
 */
export function toOtelSpansSelect(table: string, mapping: Config['mapping']): string {
  const source = toOtelTracesTable(table)
  const release = literal(mapping.releaseAttribute)
  const environment = mapping.environmentAttributes
    .flatMap((name) => [
      `ResourceAttributes[${literal(name)}] != ''`,
      `ResourceAttributes[${literal(name)}]`,
    ])
    .concat(
      mapping.environmentAttributes.flatMap((name) => [
        `SpanAttributes[${literal(name)}] != ''`,
        `SpanAttributes[${literal(name)}]`,
      ]),
    )
  const variant = FLAG_VARIANT_ATTRIBUTES.flatMap((name) => [
    `mapContains(event, ${literal(name)})`,
    `event[${literal(name)}]`,
  ])
  const prefix = mapping.flagAttributePrefix
  // Flags as span attributes `<prefix><key>` first, then flag evaluation events, which win:
  // the last evaluation of a key gives its variant, as in the ingest mapping.
  const attributeFlags =
    prefix === ''
      ? { keys: "CAST([], 'Array(String)')", variants: "CAST([], 'Array(String)')" }
      : {
          keys: `arrayMap(name -> substring(name, ${prefix.length + 1}), mapKeys(prefixed))`,
          variants: 'mapValues(prefixed)',
        }
  return `WITH
  ${prefix === '' ? '' : `mapFilter((name, value) -> startsWith(name, ${literal(prefix)}) AND length(name) > ${prefix.length}, SpanAttributes) AS prefixed,`}
  arrayFilter(
    (event, name) -> name IN (${FLAG_EVENT_NAMES.map(literal).join(', ')})
      AND event[${literal(FLAG_KEY_ATTRIBUTE)}] != '',
    \`Events.Attributes\`, \`Events.Name\`) AS flag_events,
  arrayConcat(${attributeFlags.keys},
    arrayMap(event -> event[${literal(FLAG_KEY_ATTRIBUTE)}], flag_events)) AS flag_keys,
  arrayConcat(${attributeFlags.variants},
    arrayMap(event -> multiIf(${variant.join(', ')}, ''), flag_events)) AS flag_variants,
  if(mapContains(SpanAttributes, ${literal(HTTP_STATUS_ATTRIBUTE)}),
    SpanAttributes[${literal(HTTP_STATUS_ATTRIBUTE)}],
    SpanAttributes[${literal(LEGACY_HTTP_STATUS_ATTRIBUTE)}]) AS http_status_text
SELECT
  toTimeZone(Timestamp, 'UTC') AS timestamp,
  if(ServiceName = '', ${literal(UNKNOWN_SERVICE)}, ServiceName) AS service,
  multiIf(${environment.join(', ')}, '') AS environment,
  if(ResourceAttributes[${release}] != '', ResourceAttributes[${release}], SpanAttributes[${release}]) AS release,
  mapFromArrays(
    arrayDistinct(flag_keys),
    arrayMap(key -> flag_variants[length(flag_keys) + 1 - indexOf(arrayReverse(flag_keys), key)],
      arrayDistinct(flag_keys))) AS flags,
  SpanName AS name,
  toUInt16(if(match(http_status_text, '^[1-9][0-9]{2}$'), http_status_text, '0')) AS http_status_code,
  toUInt8(StatusCode IN (${ERROR_STATUSES.map(literal).join(', ')})
    OR (SpanKind IN (${SERVER_KINDS.map(literal).join(', ')}) AND http_status_code >= 500)) AS is_error,
  toUInt8(SpanKind IN (${ENTRY_KINDS.map(literal).join(', ')})
    OR ParentSpanId = '' OR ParentSpanId = '0000000000000000') AS is_entry,
  toUInt64(greatest(Duration, 0)) AS duration_ns,
  TraceId AS trace_id,
  SpanId AS span_id
FROM ${source}`
}

/** A quoted literal of a name from our own rules or the configuration, checked first. */
function literal(name: string): string {
  if (!ATTRIBUTE_NAME.test(name)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      `attribute name ${JSON.stringify(name)} in the mapping configuration may hold only letters, digits and _ . : / - to be read from otel_traces`,
    )
  }
  return `'${name}'`
}

/** The tables of the span source over the exporter's table: its `otel_spans` view, no rollups. */
export function otelSpansTables(database: string): SpanTables {
  return { spans: `${database}.${OTEL_SPANS_VIEW}` }
}

/**
 * The statements `migrate` runs for this configuration: with `clickhouse.otelTraces.table`
 * set, the `otel_spans` view over that table (read through {@link otelSpansTables}, with
 * rollups once they are made: `src/store/span-sources.ts`); otherwise none.
 */
export function toConfiguredSpanSource(
  database: string,
  config: { readonly clickhouse: Config['clickhouse']; readonly mapping: Config['mapping'] },
): { readonly statements: readonly string[] } {
  const table = config.clickhouse.otelTraces.table
  if (table === '') return { statements: [] }
  return { statements: [toOtelSpansViewStatement(database, table, config.mapping)] }
}
