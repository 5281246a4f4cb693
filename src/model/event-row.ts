/**
 * One release event as stored in the `events` table: a business or technical event from a
 * custom producer (docs/kafka-json-events.md), tagged like spans with service, environment,
 * release and flags. Field names are the column names.
 */
export interface EventRow {
  /** Nanoseconds since the Unix epoch, decimal string (exceeds 2^53). */
  readonly timestamp: string
  readonly service: string
  readonly environment: string
  readonly release: string
  /** Feature flags in effect for this event: flag key -> variant. */
  readonly flags: Readonly<Record<string, string>>
  readonly name: string
  /** The measurement the event carries (a latency, an amount), or null when it has none. */
  readonly value: number | null
  /** '' when the event reports no outcome. */
  readonly outcome: EventOutcome | ''
  readonly attributes: Readonly<Record<string, string>>
}

export const EVENT_OUTCOMES = ['success', 'failure'] as const

export type EventOutcome = (typeof EVENT_OUTCOMES)[number]
