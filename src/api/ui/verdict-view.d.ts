import type { SafeHtml } from './html.js'

/** A cohort selector as the API returns it. */
export interface SelectorView {
  readonly release?: string
  readonly flag?: { readonly key: string; readonly variant: string }
}

/** One metric of a verdict, as served by the API (see src/analysis/judge/judge-types.ts). */
export interface MetricView {
  readonly name: string
  readonly kind?: string
  readonly decision: string
  readonly baseline?: { readonly n: number; readonly estimate: number | null }
  readonly canary?: { readonly n: number; readonly estimate: number | null }
  readonly effect?: number | null
  readonly effectScale?: string
  readonly interval?: readonly (number | null)[]
  readonly threshold?: number | null
  readonly pValue?: number | null
  readonly eValue?: number | null
}

/** One item of a verdict's `missing` list (see src/analysis/judge/judge-types.ts, Missing). */
export type MissingView =
  | { readonly kind: 'duration'; readonly haveSeconds: number; readonly needSeconds: number }
  | {
      readonly kind: 'samples'
      readonly metric: string
      readonly cohort: string
      readonly have: number
      readonly need: number
    }
  | { readonly kind: 'evidence'; readonly metric: string }
  | { readonly kind: 'data'; readonly cohort: string; readonly error: string }

export declare function decisionBadge(decision: string): SafeHtml
export declare function uniqueReasons(reasons: readonly string[]): string[]
export declare function missingList(missing: readonly MissingView[] | undefined): SafeHtml | ''
export declare function describeMissing(item: MissingView): string
export declare function reasonsList(reasons: readonly string[]): SafeHtml
export declare function metricsTable(metrics: readonly MetricView[]): SafeHtml
export declare function describeSelector(selector: SelectorView): string
export declare function formatPercent(value: number | null): string
export declare function formatMs(value: number | null): string
export declare function formatTime(ms: number): string
export declare function decisionChanges<T extends { readonly decision: string }>(
  entries: readonly T[],
): T[]
