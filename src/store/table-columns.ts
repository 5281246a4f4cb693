import type { EventRow } from '../model/event-row.ts'
import type { SpanRow } from '../model/span-row.ts'

/**
 * The columns of each table written in compact rows, in the order its compact rows list them.
 * The checks below fail type checking when a row type gains a field missing here, so that a
 * new field is never dropped silently.
 */
export const SPAN_COLUMNS = [
  'timestamp',
  'service',
  'environment',
  'release',
  'flags',
  'name',
  'kind',
  'status_code',
  'status_message',
  'http_status_code',
  'http_route',
  'is_error',
  'is_entry',
  'duration_ns',
  'trace_id',
  'span_id',
  'parent_span_id',
  'resource_attributes',
  'span_attributes',
] as const satisfies readonly (keyof SpanRow)[]

export const EVENT_COLUMNS = [
  'timestamp',
  'service',
  'environment',
  'release',
  'flags',
  'name',
  'value',
  'outcome',
  'attributes',
] as const satisfies readonly (keyof EventRow)[]

/** Resolves only when `Columns` names every field of `Row`. */
type Covering<Row, Columns extends readonly (keyof Row)[]> = [
  Exclude<keyof Row, Columns[number]>,
] extends [never]
  ? Columns
  : never

export type SpanColumns = Covering<SpanRow, typeof SPAN_COLUMNS>
export type EventColumns = Covering<EventRow, typeof EVENT_COLUMNS>

/** The columns of `table`, typed so that a list missing a row field does not compile. */
export const TABLE_COLUMNS: { readonly spans: SpanColumns; readonly events: EventColumns } = {
  spans: SPAN_COLUMNS,
  events: EVENT_COLUMNS,
}
