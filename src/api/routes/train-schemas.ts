/** JSON schemas of the release-train and blast-radius routes (they make /openapi.json too). */
import { MAX_TRAIN_MEMBERS } from '../../verdicts/train-service.ts'
import { cohortSelector, requesterParam, verdictBody } from '../schemas.ts'

const policyField = {
  type: 'object',
  description:
    'Judge policy (metrics, tolerances, SLO, durations, blastRadius, source: spans, otel_traces or metrics, as for an analysis); omitted = defaults',
} as const

export const createTrainBody = {
  type: 'object',
  examples: [
    {
      name: 'release-42',
      environment: 'production',
      startTime: '2026-11-22T10:00:00Z',
      policy: { alpha: 0.05 },
      members: [
        { service: 'checkout', baseline: { release: '1.4.2' }, canary: { release: '1.5.0' } },
        { service: 'payment', baseline: { release: '3.0.1' }, canary: { release: '3.1.0' } },
      ],
    },
  ],
  additionalProperties: false,
  required: ['name', 'members'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256, description: 'What people call it' },
    environment: {
      type: 'string',
      maxLength: 256,
      description: 'deployment.environment.name of every member that names none; empty = every',
    },
    startTime: { type: 'string', format: 'date-time', description: 'Omitted = now' },
    policy: {
      ...policyField,
      description:
        "The train's policy: its alpha bounds a false rollback (and a false promotion) of the whole train; its other fields apply to members without a policy or template",
    },
    members: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_TRAIN_MEMBERS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['service', 'baseline', 'canary'],
        properties: {
          service: { type: 'string', minLength: 1, maxLength: 256, description: 'service.name' },
          environment: { type: 'string', maxLength: 256 },
          baseline: cohortSelector,
          canary: cohortSelector,
          policy: {
            ...policyField,
            description: "The member's policy; its alpha is ignored: the train's applies",
          },
        },
      },
    },
  },
} as const

export const trainBody = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    name: { type: 'string' },
    environment: { type: 'string' },
    startTime: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    policy: { type: 'object', additionalProperties: true },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          service: { type: 'string' },
          environment: { type: 'string' },
          baseline: cohortSelector,
          canary: cohortSelector,
          policy: { type: 'object', additionalProperties: true },
        },
      },
    },
  },
} as const

export const trainVerdictBody = {
  type: 'object',
  additionalProperties: true,
  required: ['trainId', 'decision', 'evaluatedAt', 'reasons', 'causes', 'members'],
  properties: {
    trainId: { type: 'string' },
    name: { type: 'string' },
    decision: {
      type: 'string',
      enum: ['promote', 'continue', 'rollback', 'inconclusive'],
      description:
        'rollback: some member is worse (see causes; every member goes back); promote: every member is within its tolerances; continue: a member is still gathering evidence; inconclusive: the maximum durations passed. Argo Rollouts reads {$.decision}.',
    },
    evaluatedAt: { type: 'string', format: 'date-time' },
    window: verdictBody.properties.window,
    watermark: verdictBody.properties.watermark,
    reasons: { type: 'array', items: { type: 'string' } },
    causes: {
      type: 'array',
      description: 'For rollback: each member service and metric (or "budget") that caused it',
      items: {
        type: 'object',
        properties: { member: { type: 'string' }, metric: { type: 'string' } },
      },
    },
    alpha: {
      type: 'object',
      additionalProperties: true,
      properties: {
        total: { type: 'number' },
        rollbackRules: { type: 'integer' },
        rollbackPerRule: { type: 'number' },
        promote: { type: 'number' },
      },
    },
    members: {
      type: 'array',
      description: "Each member's verdict at its share of the train's alpha, with its cohorts",
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['service', 'decision', 'reasons', 'metrics'],
        properties: {
          ...verdictBody.properties,
          service: { type: 'string' },
          environment: { type: 'string' },
          baseline: cohortSelector,
          canary: cohortSelector,
        },
      },
    },
  },
} as const

export const listTrainsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: {
      type: 'string',
      maxLength: 256,
      description: 'Trains with a member of this service',
    },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const

export const argoTrainQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'The member whose controller polls; must be a member of the train',
    },
    requester: { ...requesterParam, default: 'argo-rollouts' },
  },
} as const

export const blastRadiusBody = {
  type: 'object',
  properties: {
    analysisId: { type: 'string' },
    minutes: {
      type: 'array',
      description:
        'Frozen minutes of the blast radius: for each minute and cohort, the traces that entered the canary service (service "") and every other service on them',
      items: {
        type: 'object',
        properties: {
          minute: { type: 'string', format: 'date-time' },
          cohort: { type: 'string', enum: ['baseline', 'canary'] },
          service: { type: 'string', description: '"" for the row counting the traces' },
          role: { type: 'string', enum: ['callee', 'caller', 'other', ''] },
          requests: { type: 'integer' },
          errors: { type: 'integer' },
        },
      },
    },
  },
} as const
