import { createHash } from 'node:crypto'
import { RhError } from '../../errors.ts'
import type { CohortSelector } from '../../verdicts/analysis-definition.ts'
import type { NewAnalysis, VerdictService } from '../../verdicts/verdict-service.ts'

/**
 * What a rollout controller says about its canary, in flat fields (Argo query strings,
 * Flagger metadata). Controllers cannot POST an analysis first, so adapters find or create
 * the analysis from these fields under an id derived from a natural key.
 */
export interface CohortFields {
  readonly service: string
  readonly environment?: string | undefined
  readonly baselineRelease?: string | undefined
  readonly canaryRelease?: string | undefined
  readonly flagKey?: string | undefined
  readonly baselineVariant?: string | undefined
  readonly canaryVariant?: string | undefined
  readonly startTime?: string | undefined
}

/** A stable analysis id: the same natural key names the same analysis on every replica. */
export function toAnalysisId(prefix: string, naturalKey: string): string {
  return `${prefix}-${createHash('sha256').update(naturalKey).digest('hex').slice(0, 24)}`
}

/**
 * Creates the analysis under `id` unless it exists. `where` names the fields in errors, e.g.
 * "Flagger metadata" or "querystring".
 */
export async function findOrCreateAnalysis(
  verdicts: VerdictService,
  id: string,
  fields: CohortFields,
  where: string,
  policy?: unknown,
): Promise<void> {
  if ((await verdicts.find(id)) !== undefined) return
  const baseline = toSelector(fields, 'baseline', where)
  const canary = toSelector(fields, 'canary', where)
  // A controller that leaves the environment out would judge staging and production traffic
  // of one release together without noticing: it must say which, or say "all" with ''.
  if (fields.environment === undefined) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${where} must name the environment (deployment.environment.name), e.g. environment=production; an empty environment judges every environment together`,
    )
  }
  const analysis: NewAnalysis = {
    service: fields.service,
    environment: fields.environment,
    baseline,
    canary,
    ...(fields.startTime === undefined ? {} : { startTime: fields.startTime }),
    ...(policy === undefined ? {} : { policy }),
  }
  await verdicts.create(analysis, { id })
}

function toSelector(
  fields: CohortFields,
  cohort: 'baseline' | 'canary',
  where: string,
): CohortSelector {
  const release = fields[`${cohort}Release`]
  const variant = fields[`${cohort}Variant`]
  const { flagKey } = fields
  if (release === undefined && (flagKey === undefined || variant === undefined)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${where} must name the ${cohort} cohort: ${cohort}Release, or flagKey with ${cohort}Variant`,
    )
  }
  return {
    ...(release === undefined ? {} : { release }),
    ...(flagKey === undefined || variant === undefined ? {} : { flag: { key: flagKey, variant } }),
  }
}
