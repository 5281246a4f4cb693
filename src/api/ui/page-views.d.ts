import type { SafeHtml } from './html.js'

/** The analysis page from the API's responses (analysis, verdict, verdicts, series). */
export declare function renderAnalysisPage(data: {
  analysis: unknown
  verdict: unknown
  history: unknown
  series: unknown
}): SafeHtml
export declare function renderAnalysisList(
  analyses: readonly unknown[],
  verdicts: ReadonlyMap<string, unknown>,
): SafeHtml
export declare function renderProblem(error: unknown): SafeHtml
export declare function analysesTable(
  analyses: readonly unknown[],
  verdicts: ReadonlyMap<string, unknown>,
): SafeHtml
