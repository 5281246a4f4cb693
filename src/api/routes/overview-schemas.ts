/** JSON schemas of `GET /api/v1/overview` (they make /openapi.json too). */
import { cohortSelector } from '../schemas.ts'

export const overviewQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hours: {
      type: 'integer',
      minimum: 1,
      maximum: 720,
      default: 24,
      description: 'The window: releases, flags and decisions of the last this many hours',
    },
    recentMinutes: {
      type: 'integer',
      minimum: 1,
      maximum: 1440,
      default: 15,
      description: 'What is in flight: traffic shares, error rates and burn over these minutes',
    },
  },
} as const

const nullableNumber = { type: ['number', 'null'] } as const

const overviewCohort = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'The release, or the flag variant' },
    share: { ...nullableNumber, description: 'Share of recent requests (of the flag’s)' },
    recentRequests: { type: 'integer' },
    errorRate: nullableNumber,
    burnRate: { ...nullableNumber, description: 'errorRate / (1 − SLO)' },
    firstSeen: { type: 'string', format: 'date-time' },
    lastSeen: { type: 'string', format: 'date-time' },
    inFlight: { type: 'boolean', description: 'Served requests in the recent minutes' },
  },
} as const

export const overviewBody = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    recentFrom: { type: 'string', format: 'date-time' },
    services: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          service: { type: 'string' },
          environment: { type: 'string' },
          slo: { type: 'number' },
          releases: { type: 'array', items: overviewCohort },
          flags: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                key: { type: 'string' },
                variants: { type: 'array', items: overviewCohort },
              },
            },
          },
          analyses: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                baseline: cohortSelector,
                canary: cohortSelector,
                startTime: { type: 'string', format: 'date-time' },
              },
            },
          },
          trains: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' } },
            },
          },
        },
      },
    },
    timeline: {
      type: 'array',
      description: 'The release calendar, oldest first',
      items: {
        type: 'object',
        properties: {
          time: { type: 'string', format: 'date-time' },
          kind: { type: 'string', enum: ['release', 'flag', 'decision'] },
          service: { type: 'string' },
          environment: { type: 'string' },
          name: { type: 'string', description: 'release, or key=variant' },
          id: { type: 'string', description: 'decision: the analysis or train' },
          subject: { type: 'string' },
          decision: { type: 'string' },
          reason: { type: 'string' },
        },
      },
    },
  },
} as const
