import type { FastifyInstance } from 'fastify'
import { RhError } from '../../errors.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import { findOrCreateAnalysis, toAnalysisId } from './controller-analysis.ts'
import { requesterParam, verdictBody } from '../schemas.ts'

/**
 * The verdict for Argo Rollouts' `web` metric provider, which can only GET a URL built from
 * the AnalysisTemplate's args. The analysis is named by its cohorts in the query string and
 * created on first use, with an id derived from them, so every replica and every poll finds
 * the same one. The answer is the verdict document; the template reads `{$.decision}`.
 *
 * Mapping (examples/argo-rollouts/analysis-template.yaml): promote -> successCondition with
 * consecutiveSuccessLimit 1 (the step passes), rollback -> failureCondition with failureLimit 0
 * (the rollout aborts), continue -> neither (measuring goes on), inconclusive -> neither, until
 * inconclusiveLimit (sized to the analysis' maxDuration) pauses the rollout for a human.
 */
const querySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['service', 'environment'],
  properties: {
    service: { type: 'string', minLength: 1, maxLength: 256 },
    environment: {
      type: 'string',
      maxLength: 256,
      description:
        'deployment.environment.name of both cohorts; required, so that environments are never mixed by omission. Empty: every environment together',
    },
    baselineRelease: { type: 'string', minLength: 1, maxLength: 256 },
    canaryRelease: { type: 'string', minLength: 1, maxLength: 256 },
    flagKey: { type: 'string', minLength: 1, maxLength: 256 },
    baselineVariant: { type: 'string', minLength: 1, maxLength: 256 },
    canaryVariant: { type: 'string', minLength: 1, maxLength: 256 },
    startTime: { type: 'string', format: 'date-time' },
    requester: { ...requesterParam, default: 'argo-rollouts' },
  },
} as const

type ArgoQuery = Partial<
  Record<Exclude<keyof typeof querySchema.properties, 'service' | 'environment'>, string>
> & {
  readonly service: string
  readonly environment: string
  readonly requester: string
}

export function registerArgoRolloutsRoutes(app: FastifyInstance, verdicts: VerdictService): void {
  app.get(
    '/api/v1/argo-rollouts/verdict',
    {
      // Creating analyses is more than reading: controllers have their own scope.
      config: { scope: 'controller' },
      schema: {
        summary: 'Verdict for the Argo Rollouts web provider, by cohorts',
        description: 'Creates the analysis on first use. Read `{$.decision}`.',
        operationId: 'getArgoRolloutsVerdict',
        querystring: querySchema,
        response: { 200: verdictBody },
      },
    },
    async (request) => {
      const query = request.query as ArgoQuery
      const id = argoAnalysisId(query)
      await findOrCreateAnalysis(verdicts, id, query, 'querystring')
      const verdict = await verdicts.evaluate(id, {
        requester: { name: query.requester, isController: true },
      })
      if (verdict === undefined)
        throw new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(id)}`)
      return verdict
    },
  )
}

/** The same cohorts (and start, when given) always name the same analysis. */
export function argoAnalysisId(query: Omit<ArgoQuery, 'requester'>): string {
  const key = JSON.stringify([
    query.service,
    query.environment ?? '',
    query.baselineRelease ?? '',
    query.canaryRelease ?? '',
    query.flagKey ?? '',
    query.baselineVariant ?? '',
    query.canaryVariant ?? '',
    query.startTime ?? '',
  ])
  return toAnalysisId('argo', key)
}
