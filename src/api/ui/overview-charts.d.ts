import type { SafeHtml } from './html.js'

export interface ShareBarOptions {
  readonly id: string
  readonly title: string
  /** Shares in [0, 1] adding up to 1; `detail` is said on hover. */
  readonly parts: readonly {
    readonly name: string
    readonly share: number
    readonly detail: string
  }[]
}

export interface BurnChartOptions {
  readonly id: string
  readonly title: string
  readonly rows: readonly {
    readonly label: string
    readonly burnRate: number
    readonly detail: string
  }[]
}

export interface CalendarEvent {
  readonly tMs: number
  /** The service lane it is drawn in. */
  readonly lane: string
  readonly kind: 'release' | 'flag' | 'decision'
  readonly decision?: string
  /** Said on hover. */
  readonly label: string
}

export interface CalendarOptions {
  readonly id: string
  readonly title: string
  readonly fromMs: number
  readonly toMs: number
  readonly events: readonly CalendarEvent[]
}

export declare function shareBar(options: ShareBarOptions): SafeHtml
export declare function burnChart(options: BurnChartOptions): SafeHtml
export declare function calendarChart(options: CalendarOptions): SafeHtml
