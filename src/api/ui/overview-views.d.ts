import type { SafeHtml } from './html.js'

/** The release overview from GET /api/v1/overview and the live verdicts by analysis or train id. */
export declare function renderOverview(
  overview: unknown,
  analyses: readonly unknown[],
  verdicts: ReadonlyMap<string, unknown>,
): SafeHtml
