import type { FastifyInstance } from 'fastify'
import { isRhError, RhError } from '../../errors.ts'
import { authorize, type TokenEntry } from '../auth.ts'
import { findOrCreateAnalysis, toAnalysisId } from './controller-analysis.ts'
import { errorBody } from '../schemas.ts'
import { parsePolicy, type Decision } from '../../analysis/index.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import type { TrainService } from '../../verdicts/train-service.ts'

/**
 * Flagger webhooks (https://docs.flagger.app, "Webhooks"). Flagger POSTs
 * `{ name, namespace, phase, checksum, type, metadata }` and reads only the status code:
 *
 * - `rollout` hooks run at every analysis interval; a non-2xx answer is a failed check, and
 *   enough failed checks roll the canary back. rollback -> 412, anything else -> 200.
 * - `confirm-promotion` gates promotion; Flagger waits while it is not 200.
 *   promote -> 200, anything else -> 412 (continue, inconclusive: keep waiting).
 * - `rollback` hooks roll the canary back when they answer 200.
 *   rollback -> 200, anything else -> 412.
 * - `confirm-traffic-increase` gates every step of traffic weight; Flagger keeps the weight
 *   while it is not 200. promote -> 200, anything else -> 412: the canary's share grows only
 *   once the evidence shows it is not worse at the share it has.
 *
 * `metadata.environment` is required when the analysis is created from the metadata (an
 * empty value judges every environment together).
 *
 * `metadata` names the analysis (`analysisId`) or describes its cohorts (`service`,
 * `environment`, `baselineRelease`, `canaryRelease`, `flagKey`, `baselineVariant`,
 * `canaryVariant`); the analysis is then created on first use, one per canary revision
 * (namespace, name and checksum), so every replica finds the same one, with the service's
 * policy template or the defaults. `metadata.policy` (a JSON object, validated like the API's
 * policy) sets the policy inline instead and needs the `admin` scope besides `controller`.
 * With authentication on, the token comes in `Authorization` or, since Flagger cannot set
 * headers, in `metadata.token`.
 *
 * `metadata.trainId` polls a release train instead: every member's Canary names the same
 * train, and each gets the train's decision (a member rolls back when any member is worse).
 */
export type FlaggerHook = 'rollout' | 'confirm-promotion' | 'rollback' | 'confirm-traffic-increase'

const GO: Record<FlaggerHook, (decision: Decision) => boolean> = {
  rollout: (decision) => decision !== 'rollback',
  'confirm-promotion': (decision) => decision === 'promote',
  rollback: (decision) => decision === 'rollback',
  'confirm-traffic-increase': (decision) => decision === 'promote',
}

/** Precondition Failed: the verdict does not allow what the hook asks. */
const NOT_NOW = 412

const payloadSchema = {
  type: 'object',
  required: ['name', 'namespace'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253 },
    namespace: { type: 'string', minLength: 1, maxLength: 253 },
    phase: { type: 'string', maxLength: 64 },
    checksum: { type: 'string', maxLength: 256 },
    type: { type: 'string', maxLength: 64 },
    metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 } },
  },
} as const

const answerSchema = {
  type: 'object',
  required: ['analysisId', 'hook', 'decision', 'go', 'message'],
  properties: {
    analysisId: { type: 'string', description: 'The analysis, or the train (metadata.trainId)' },
    hook: { type: 'string' },
    decision: { type: 'string', enum: ['promote', 'continue', 'rollback', 'inconclusive'] },
    go: { type: 'boolean' },
    message: { type: 'string', description: 'The decision and its reasons, for Flagger’s log' },
  },
} as const

interface FlaggerPayload {
  readonly name: string
  readonly namespace: string
  readonly checksum?: string
  readonly metadata?: Readonly<Record<string, string>>
}

export function registerFlaggerRoutes(
  app: FastifyInstance,
  verdicts: VerdictService,
  tokens: readonly TokenEntry[],
  trains?: TrainService,
): void {
  for (const hook of Object.keys(GO) as FlaggerHook[]) {
    app.post(
      `/api/v1/flagger/${hook}`,
      {
        // Flagger webhooks cannot send headers: the token may come in metadata.token instead.
        config: { public: true },
        schema: {
          summary: `Flagger ${hook} webhook`,
          description:
            'Answers 200 when the verdict lets Flagger go on, 412 when it does not. The token may come in metadata.token; metadata.policy needs the admin scope too. metadata.trainId polls a release train instead: every member’s Canary gets the train’s decision.',
          body: payloadSchema,
          // Public to the router because the token may come in metadata.token; checked here.
          security: [{ bearerAuth: ['controller'] }],
          response: {
            200: { ...answerSchema, description: 'Flagger goes on' },
            412: { ...answerSchema, description: 'The verdict does not allow it (yet)' },
            401: { ...errorBody, description: 'No valid token in metadata.token or Authorization' },
            403: {
              ...errorBody,
              description: 'The token lacks the controller scope (or admin, for metadata.policy)',
            },
          },
        },
      },
      async (request, reply) => {
        const payload = request.body as FlaggerPayload
        const inlinePolicy = payload.metadata?.policy
        if (tokens.length > 0) {
          const token = payload.metadata?.token
          const header = token === undefined ? request.headers.authorization : `Bearer ${token}`
          const failure =
            authorize(tokens, header, 'controller') ??
            (inlinePolicy === undefined ? undefined : authorize(tokens, header, 'admin'))
          if (failure !== undefined) throw failure
        }
        const requester = { name: `flagger/${hook}`, isController: true }
        const trainId = payload.metadata?.trainId
        if (trainId !== undefined) {
          const verdict = await trains?.evaluate(trainId, {
            requester: { ...requester, name: `${requester.name} (${payload.name})` },
          })
          if (verdict === undefined)
            throw new RhError(
              'RH_API_NOT_FOUND',
              `no release train with id ${JSON.stringify(trainId)}`,
            )
          const go = GO[hook](verdict.decision)
          const answer = toAnswer(hook, { ...verdict, analysisId: verdict.trainId }, go)
          return reply.code(go ? 200 : NOT_NOW).send(answer)
        }
        const policy = inlinePolicy === undefined ? undefined : parsePolicyMetadata(inlinePolicy)
        const id = await analysisIdFor(verdicts, payload, policy)
        const verdict = await verdicts.evaluate(id, { requester })
        if (verdict === undefined)
          throw new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(id)}`)
        const go = GO[hook](verdict.decision)
        return reply.code(go ? 200 : NOT_NOW).send(toAnswer(hook, verdict, go))
      },
    )
  }
}

function toAnswer(
  hook: FlaggerHook,
  verdict: { analysisId: string; decision: Decision; reasons: readonly string[] },
  go: boolean,
): object {
  return {
    analysisId: verdict.analysisId,
    hook,
    decision: verdict.decision,
    go,
    // Flagger logs the body of a failed webhook: the reasons are what an operator needs.
    message: `${verdict.decision}: ${verdict.reasons.join('; ')}`,
  }
}

async function analysisIdFor(
  verdicts: VerdictService,
  payload: FlaggerPayload,
  policy: object | undefined,
): Promise<string> {
  const metadata = payload.metadata ?? {}
  if (metadata.analysisId !== undefined) return metadata.analysisId
  const id = flaggerAnalysisId(payload)
  const fields = { ...metadata, service: metadata.service ?? payload.name }
  await findOrCreateAnalysis(verdicts, id, fields, 'Flagger metadata (or its analysisId)', policy)
  return id
}

/** One analysis per canary revision: the same on every replica. */
export function flaggerAnalysisId(payload: FlaggerPayload): string {
  return toAnalysisId(
    'flagger',
    `flagger:${payload.namespace}/${payload.name}:${payload.checksum ?? ''}`,
  )
}

/**
 * `metadata.policy` as the API takes a policy: a JSON object (not `null`, an array or a
 * scalar) that the policy parser accepts. Checked on every call, so a bad policy is refused
 * even when the analysis already exists.
 */
function parsePolicyMetadata(text: string): object {
  let policy: unknown
  try {
    policy = JSON.parse(text)
  } catch {
    policy = undefined
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `Flagger metadata "policy" must be a JSON object such as {"alpha":0.01}, got ${JSON.stringify(text.slice(0, 64))}`,
    )
  }
  try {
    parsePolicy(policy)
  } catch (error) {
    if (!isRhError(error)) throw error
    throw new RhError(error.code, `Flagger metadata "policy": ${error.message}`)
  }
  return policy
}
