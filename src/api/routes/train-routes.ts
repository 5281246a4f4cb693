import type { FastifyInstance } from 'fastify'
import { RhError } from '../../errors.ts'
import type { BlastRadius } from '../../verdicts/blast-radius.ts'
import type { TrainDefinition } from '../../verdicts/train-definition.ts'
import type { NewTrain, TrainService } from '../../verdicts/train-service.ts'
import type { VerdictService } from '../../verdicts/verdict-service.ts'
import { createdBody, historyBody, historyQuery, idParams, verdictQuery } from '../schemas.ts'
import {
  argoTrainQuery,
  blastRadiusBody,
  createTrainBody,
  listTrainsQuery,
  trainBody,
  trainVerdictBody,
} from './train-schemas.ts'

/**
 * Release trains (`/api/v1/trains`), their Argo Rollouts door, and the frozen blast radius of
 * an analysis. Scopes as for analyses: creating needs `admin`, verdicts `read` or
 * `controller`, the Argo Rollouts door `controller`.
 */
export function registerTrainRoutes(
  app: FastifyInstance,
  options: { trains: TrainService; verdicts: VerdictService; blastRadius?: BlastRadius },
): void {
  const { trains } = options

  app.post(
    '/api/v1/trains',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Create a release train: several services’ canaries judged together',
        operationId: 'createTrain',
        body: createTrainBody,
        response: { 201: { ...createdBody, description: 'The train id; also in Location' } },
      },
    },
    async (request, reply) => {
      const train = await trains.create(request.body as NewTrain)
      return reply.code(201).header('location', `/api/v1/trains/${train.id}`).send({ id: train.id })
    },
  )

  app.get(
    '/api/v1/trains',
    {
      schema: {
        summary: 'Release trains, newest first',
        operationId: 'listTrains',
        querystring: listTrainsQuery,
        response: {
          200: { type: 'object', properties: { trains: { type: 'array', items: trainBody } } },
        },
      },
    },
    async (request) => {
      const { service, limit } = request.query as { service?: string; limit: number }
      const list = await trains.list({ limit, ...(service === undefined ? {} : { service }) })
      return { trains: list.map(toTrainBody) }
    },
  )

  app.get(
    '/api/v1/trains/:id',
    {
      schema: {
        summary: 'A release train as stored',
        operationId: 'getTrain',
        params: idParams,
        response: { 200: trainBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const train = await trains.find(id)
      if (train === undefined) throw trainNotFound(id)
      return toTrainBody(train)
    },
  )

  app.get(
    '/api/v1/trains/:id/verdict',
    {
      config: { scope: ['read', 'controller'] },
      schema: {
        summary: 'The train’s verdict now, or replayed at a past time',
        operationId: 'getTrainVerdict',
        params: idParams,
        querystring: verdictQuery,
        response: { 200: trainVerdictBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const { at, requester } = request.query as { at?: string; requester?: string }
      const verdict = await trains.evaluate(id, {
        ...(at === undefined ? {} : { atMs: Date.parse(at) }),
        requester:
          requester === undefined
            ? { name: request.headers['user-agent'] ?? 'unknown', isController: false }
            : { name: requester, isController: true },
      })
      if (verdict === undefined) throw trainNotFound(id)
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(verdict))
    },
  )

  app.get(
    '/api/v1/trains/:id/verdicts',
    {
      schema: {
        summary: 'Recorded verdicts of a train, newest first',
        operationId: 'listTrainVerdicts',
        params: idParams,
        querystring: historyQuery,
        response: { 200: historyBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { limit } = request.query as { limit: number }
      const records = await trains.history(id, limit)
      if (records === undefined) throw trainNotFound(id)
      return {
        analysisId: id,
        verdicts: records.map((record) => ({
          evaluatedAt: new Date(record.evaluatedAtMs).toISOString(),
          recordedAt: new Date(record.recordedAtMs).toISOString(),
          decision: record.decision,
          reasons: record.reasons,
          policyVersion: record.policyVersion,
          requester: record.requester,
        })),
      }
    },
  )

  app.get(
    '/api/v1/argo-rollouts/trains/:id/verdict',
    {
      config: { scope: 'controller' },
      schema: {
        summary: 'A release train’s verdict for the Argo Rollouts web provider',
        description:
          'Any member’s Rollout polls the same train; `service` names the member (checked) and is recorded with the requester. Read `{$.decision}`.',
        operationId: 'getArgoRolloutsTrainVerdict',
        params: idParams,
        querystring: argoTrainQuery,
        response: { 200: trainVerdictBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const { service, requester } = request.query as { service?: string; requester: string }
      const train = await trains.find(id)
      if (train === undefined) throw trainNotFound(id)
      if (service !== undefined && !train.members.some((member) => member.service === service))
        throw new RhError(
          'RH_API_INVALID_REQUEST',
          `service ${JSON.stringify(service)} is not a member of train ${JSON.stringify(id)}`,
        )
      const verdict = await trains.evaluate(id, {
        requester: {
          name: service === undefined ? requester : `${requester} (${service})`,
          isController: true,
        },
      })
      if (verdict === undefined) throw trainNotFound(id)
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(verdict))
    },
  )

  const blastRadius = options.blastRadius
  if (blastRadius !== undefined) {
    app.get(
      '/api/v1/analyses/:id/blast-radius',
      {
        schema: {
          summary: 'The blast radius of an analysis as the judge froze it, minute by minute',
          description:
            'Other services on the traces through each cohort; the verdict judges them as `blast:` metrics. Minutes appear once a verdict has frozen them.',
          operationId: 'getBlastRadius',
          params: idParams,
          response: { 200: blastRadiusBody },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string }
        if ((await options.verdicts.find(id)) === undefined)
          throw new RhError('RH_API_NOT_FOUND', `no analysis with id ${JSON.stringify(id)}`)
        const rows = await blastRadius.rows(id)
        return {
          analysisId: id,
          minutes: [...rows]
            .sort(
              (a, b) =>
                a.startMs - b.startMs ||
                a.cohort.localeCompare(b.cohort) ||
                a.service.localeCompare(b.service),
            )
            .map((row) => ({
              minute: new Date(row.startMs).toISOString(),
              cohort: row.cohort,
              service: row.service,
              role: row.role,
              requests: row.requests,
              errors: row.errors,
            })),
        }
      },
    )
  }
}

function trainNotFound(id: string): RhError {
  return new RhError('RH_API_NOT_FOUND', `no release train with id ${JSON.stringify(id)}`)
}

function toTrainBody(train: TrainDefinition): Record<string, unknown> {
  return {
    id: train.id,
    version: train.version,
    name: train.name,
    environment: train.environment,
    startTime: new Date(train.startMs).toISOString(),
    createdAt: new Date(train.createdAtMs).toISOString(),
    policy: train.policy,
    members: train.members,
  }
}
