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

export const verdictQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    at: {
      type: 'string',
      format: 'date-time',
      description: 'Replay: the verdict as it was at this time, from data before it',
    },
    requester: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description:
        'A rollout controller naming itself; its requests are all kept in the audit trail',
    },
  },
} as const

const nullableNumber = { type: ['number', 'null'] } as const

const metricResult = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    kind: { type: 'string', enum: ['error-rate', 'latency', 'numeric'] },
    critical: { type: 'boolean' },
    decision: { type: 'string', enum: ['worse', 'non-inferior', 'pending', 'no-data'] },
    test: { type: 'string', description: 'The decision rule, with its reference' },
    baseline: { type: 'object', additionalProperties: true },
    canary: { type: 'object', additionalProperties: true },
    effect: nullableNumber,
    effectScale: { type: 'string', enum: ['relative', 'absolute'] },
    interval: { type: 'array', items: nullableNumber },
    pValue: nullableNumber,
    eValue: nullableNumber,
    nonInferiorityEValue: nullableNumber,
    threshold: { type: ['number', 'null'] },
    floor: {
      type: 'number',
      description:
        'The absolute floor under a relative tolerance, in the metric unit (0: none); worse only beyond both',
    },
    decidedBy: {
      type: ['string', 'null'],
      description:
        'The rule that decided: the per-minute sequential t, or the exact per-request rule; null while pending',
    },
    dispersion: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'What the per-minute units showed; null for rules without units',
      properties: {
        units: { type: 'integer', description: 'Minutes (or groups of minutes) with both cohorts' },
        factor: {
          type: ['number', 'null'],
          description:
            'Variance of the units over what independent requests or samples give (about 1 without extra dispersion)',
        },
        exactAllowed: {
          type: 'boolean',
          description: 'The exact per-request rule counted alongside the per-minute rule',
        },
      },
    },
    alpha: {
      type: 'object',
      additionalProperties: true,
      properties: { rollback: { type: 'number' }, promote: { type: 'number' } },
    },
    sentence: { type: 'string' },
  },
} as const

const burnRates = {
  type: 'object',
  additionalProperties: true,
  properties: { longBurnRate: nullableNumber, shortBurnRate: nullableNumber },
} as const

const cohortBudget = {
  type: 'object',
  additionalProperties: true,
  properties: {
    burnRate: nullableNumber,
    budgetRemaining: nullableNumber,
    latencyBurnRate: nullableNumber,
    latencyBudgetRemaining: nullableNumber,
  },
} as const

const budget = {
  type: 'object',
  additionalProperties: true,
  properties: {
    slo: { type: 'object', additionalProperties: true },
    burnRate: nullableNumber,
    budgetRemaining: nullableNumber,
    canary: cohortBudget,
    baseline: cohortBudget,
    windows: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          longSeconds: { type: 'number' },
          shortSeconds: { type: 'number' },
          burnRateLimit: { type: 'number' },
          canary: burnRates,
          baseline: burnRates,
          eValue: nullableNumber,
          baselineBurning: { type: 'boolean' },
          baselineMissing: {
            type: 'boolean',
            description:
              'The baseline failed or served nothing in the long window: the guard cannot trip',
          },
          baselineBelowEValue: nullableNumber,
          belowEValue: {
            type: ['number', 'null'],
            description:
              'Evidence the canary burns below the limit over the analysis; promotion needs it',
          },
          belowEvident: { type: 'boolean' },
          tripped: { type: 'boolean' },
        },
      },
    },
    guard: {
      type: 'object',
      additionalProperties: true,
      properties: {
        enabled: { type: 'boolean' },
        tripped: { type: 'boolean' },
        alpha: { type: 'number' },
      },
    },
  },
} as const

const lateData = {
  type: 'object',
  additionalProperties: true,
  description: 'Spans that arrived for minutes after they were frozen: in the audit, not the test',
  properties: {
    minutes: { type: 'integer' },
    requests: { type: 'integer' },
    errors: { type: 'integer' },
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
    watermark: {
      type: 'string',
      format: 'date-time',
      description:
        'evaluatedAt less the ingest-lag allowance: minutes that ended after it are not used yet',
    },
    lateData: {
      type: 'object',
      additionalProperties: true,
      properties: { baseline: lateData, canary: lateData },
    },
    reasons: { type: 'array', items: { type: 'string' } },
    metrics: { type: 'array', items: metricResult },
    budget,
    sampleRatio: { type: ['object', 'null'], additionalProperties: true },
    missing: {
      type: 'array',
      description: 'What a continue verdict waits for',
      items: { type: 'object', additionalProperties: true },
    },
    estimatedSecondsToDecision: nullableNumber,
    elapsedSeconds: { type: 'number' },
    alpha: { type: 'object', additionalProperties: true },
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
