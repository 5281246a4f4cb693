/** JSON schemas of the API: they validate requests and generate /openapi.json. */

const cohortSelector = {
  type: 'object',
  description: 'A release, a flag variant, or a flag variant within a release.',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    release: { type: 'string', minLength: 1, maxLength: 256, description: 'service.version' },
    flag: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'variant'],
      properties: {
        key: { type: 'string', minLength: 1, maxLength: 256 },
        variant: { type: 'string', minLength: 1, maxLength: 256 },
      },
    },
  },
} as const

export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. RH_API_INVALID_REQUEST' },
        message: { type: 'string' },
        retriable: { type: 'boolean' },
      },
    },
  },
} as const

export const createAnalysisBody = {
  type: 'object',
  additionalProperties: false,
  required: ['service', 'baseline', 'canary'],
  properties: {
    service: { type: 'string', minLength: 1, maxLength: 256, description: 'service.name' },
    environment: {
      type: 'string',
      maxLength: 256,
      description: 'deployment.environment.name; omitted or empty = every environment',
    },
    baseline: cohortSelector,
    canary: cohortSelector,
    startTime: { type: 'string', format: 'date-time', description: 'Omitted = now' },
    policy: {
      type: 'object',
      description: 'Judge policy (metrics, tolerances, alpha, SLO, durations); omitted = defaults',
    },
  },
} as const

export const analysisBody = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    service: { type: 'string' },
    environment: { type: 'string' },
    baseline: cohortSelector,
    canary: cohortSelector,
    startTime: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    policy: { type: 'object', additionalProperties: true },
  },
} as const

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

/**
 * `?requester=`: a controller naming itself. Printable text only; it is recorded in the audit
 * trail as data (only a digest of it reaches the store's deduplication token).
 */
export const requesterParam = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description:
    'A rollout controller naming itself (printable text, up to 128 characters); its requests are all kept in the audit trail',
} as const

export const verdictQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    at: {
      type: 'string',
      format: 'date-time',
      description: 'Replay: the verdict as it was at this time, from data before it',
    },
    requester: requesterParam,
  },
} as const

const metricResult = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    decision: { type: 'string' },
    test: { type: 'string' },
    baseline: { type: 'object', additionalProperties: true },
    canary: { type: 'object', additionalProperties: true },
    effect: { type: ['number', 'null'] },
    interval: { type: 'array', items: { type: ['number', 'null'] } },
    pValue: { type: ['number', 'null'] },
    eValue: { type: ['number', 'null'] },
    threshold: { type: ['number', 'null'] },
    sentence: { type: 'string' },
  },
} as const

export const verdictBody = {
  type: 'object',
  additionalProperties: true,
  required: ['analysisId', 'decision', 'evaluatedAt', 'window', 'reasons', 'metrics'],
  properties: {
    analysisId: { type: 'string' },
    decision: { type: 'string', enum: ['promote', 'continue', 'rollback', 'inconclusive'] },
    evaluatedAt: { type: 'string', format: 'date-time' },
    window: {
      type: 'object',
      properties: { from: { type: 'string' }, to: { type: 'string' } },
    },
    reasons: { type: 'array', items: { type: 'string' } },
    metrics: { type: 'array', items: metricResult },
    budget: { type: 'object', additionalProperties: true },
  },
} as const

export const listAnalysesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: { type: 'string', maxLength: 256 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const

export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 500 } },
} as const

export const historyBody = {
  type: 'object',
  properties: {
    analysisId: { type: 'string' },
    verdicts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          evaluatedAt: { type: 'string', format: 'date-time' },
          recordedAt: { type: 'string', format: 'date-time' },
          decision: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
          policyVersion: { type: 'integer' },
          requester: { type: 'string' },
        },
      },
    },
  },
} as const
