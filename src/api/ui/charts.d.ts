import type { SafeHtml } from './html.js'

export interface ChartPoint {
  /** Epoch milliseconds. */
  readonly tMs: number
  /** null: nothing to draw (the line breaks). */
  readonly value: number | null
}

export interface ChartSeries {
  /** Shown in the legend. */
  readonly name: string
  /** `data-series` of the line, for tests and styling; the name when left out. */
  readonly key?: string
  readonly color: string
  readonly points: readonly ChartPoint[]
}

/** A vertical line at a moment: a release or flag change, the analysis start. */
export interface ChartMarker {
  readonly tMs: number
  readonly label: string
}

export interface LineChartOptions {
  readonly title: string
  /** `data-chart` of the figure, for tests and styling. */
  readonly id?: string
  readonly series: readonly ChartSeries[]
  readonly fromMs: number
  readonly toMs: number
  readonly formatValue: (value: number) => string
  readonly markers?: readonly ChartMarker[]
  /** Points further apart than this (times 1.5) are not joined; default one minute. */
  readonly gapMs?: number
  /** The y axis reaches at least this far, e.g. to keep a flat 0% line at the bottom. */
  readonly minYMax?: number
  readonly height?: number
}

export interface TimelineEntry {
  readonly tMs: number
  readonly decision: string
}

export interface TimelineOptions {
  readonly title: string
  readonly id?: string
  readonly entries: readonly TimelineEntry[]
  readonly fromMs: number
  readonly toMs: number
  readonly markers?: readonly ChartMarker[]
}

export declare const COLORS: {
  readonly baseline: string
  readonly canary: string
  readonly promote: string
  readonly continue: string
  readonly rollback: string
  readonly inconclusive: string
  readonly marker: string
}
export declare const SERIES_COLORS: readonly string[]
export declare const TOTAL_COLOR: string
export declare function lineChart(options: LineChartOptions): SafeHtml
export declare function timelineChart(options: TimelineOptions): SafeHtml
export declare function decisionColor(decision: string): string
