import type { CohortResult } from '../analysis/index.ts'
import type { CohortQuery } from './analysis-definition.ts'

/**
 * Where the verdict service gets cohort data. A failed query is a value (`ok: false`), not an
 * exception: the judge must see it to refuse to promote on missing data.
 */
export interface CohortSource {
  fetchCohort(query: CohortQuery): Promise<CohortResult>
}
