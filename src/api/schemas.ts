/** JSON schemas of the API: they validate requests and generate /openapi.json. */

export const cohortSelector = {
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
  examples: [
    {
      service: 'checkout',
      environment: 'production',
      baseline: { release: '1.4.2' },
      canary: { release: '1.5.0' },
      startTime: '2026-11-22T10:00:00Z',
    },
  ],
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
      description:
        "Judge policy (metrics, tolerances, alpha, SLO, durations, and `source`: where requests, errors and latency are read: `spans`, the default, from the instance's default span table; `otel_traces`, the OpenTelemetry Collector ClickHouse exporter's table, when the instance has one configured (otherwise 400 RH_POLICY_SOURCE_UNAVAILABLE); `{kind: spans, table: spans}`, release-health's own spans whatever the default; or `metrics`, OTLP metrics); omitted = the service's policy template, or defaults",
    },
  },
} as const

export const createdBody = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'The analysis id; also in Location' } },
  examples: [{ id: '6f0c1d2e-7a4b-4c1e-9d2f-0b1a2c3d4e5f' }],
} as const

export const readyBody = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    reason: { type: 'string', description: 'Why not ready' },
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

const missingItem = {
  type: 'object',
  additionalProperties: true,
  required: ['kind'],
  description:
    'duration: haveSeconds of needSeconds; samples: have of need observations of metric in cohort; evidence: metric is undecided; data: the cohort query failed with error',
  properties: {
    kind: { type: 'string', enum: ['duration', 'samples', 'evidence', 'data'] },
    metric: { type: 'string' },
    cohort: { type: 'string', enum: ['baseline', 'canary'] },
    have: { type: 'number' },
    need: { type: 'number' },
    haveSeconds: { type: 'number' },
    needSeconds: { type: 'number' },
    error: { type: 'string' },
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
    decision: {
      type: 'string',
      enum: ['promote', 'continue', 'rollback', 'inconclusive'],
      description:
        'promote: every metric within tolerance with enough evidence; rollback: a critical metric worse, or the budget guard tripped; continue: not enough evidence yet (see missing); inconclusive: the maximum duration passed without a decision, a human decides. Argo Rollouts reads it with jsonPath {$.decision}.',
    },
    evaluatedAt: { type: 'string', format: 'date-time' },
    window: {
      type: 'object',
      properties: {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
      },
    },
    reasons: {
      type: 'array',
      items: { type: 'string' },
      description: 'Sentences, the most important first',
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
    metrics: { type: 'array', items: metricResult },
    budget,
    sampleRatio: { type: ['object', 'null'], additionalProperties: true },
    missing: {
      type: 'array',
      items: missingItem,
      description: 'What a continue (or inconclusive) verdict is waiting for',
    },
    estimatedSecondsToDecision: {
      type: ['number', 'null'],
      description: 'For continue: seconds until a decision at the current traffic',
    },
    elapsedSeconds: { type: 'number' },
    alpha: { type: 'object', additionalProperties: true },
  },
  examples: [
    {
      analysisId: '6f0c1d2e-7a4b-4c1e-9d2f-0b1a2c3d4e5f',
      decision: 'continue',
      evaluatedAt: '2026-11-22T10:06:00.000Z',
      window: { from: '2026-11-22T10:00:00.000Z', to: '2026-11-22T10:06:00.000Z' },
      reasons: ['the analysis has run 6m of its 10m minimum'],
      metrics: [],
      missing: [{ kind: 'duration', haveSeconds: 360, needSeconds: 600 }],
      estimatedSecondsToDecision: 240,
    },
  ],
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

/** `?version=`: the version a policy update replaces; another version there is a 409. */
export const updatePolicyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: {
      type: 'integer',
      minimum: 1,
      maximum: 4294967295,
      description:
        'The version this update replaces (from GET /api/v1/analyses/{id}); when the analysis has moved on, or another update stores the next version first, the answer is 409 and nothing changes',
    },
  },
} as const
