import type { ChartMarker } from './charts.js'
import type { SafeHtml } from './html.js'

/** One minute of one event name in one cohort. */
export interface EventChartPoint {
  readonly tMs: number
  readonly meanValue: number | null
  readonly failureRate: number | null
}

export interface EventChartSeries {
  readonly name: string
  readonly points: readonly EventChartPoint[]
}

export interface EventChartsOptions {
  readonly baseline: readonly EventChartSeries[]
  readonly canary: readonly EventChartSeries[]
  readonly fromMs: number
  readonly toMs: number
  readonly markers?: readonly ChartMarker[]
}

/** Mean value and failure rate charts per event name; '' when neither cohort has events. */
export declare function eventCharts(options: EventChartsOptions): SafeHtml | ''
