import { describe, expect, it } from 'vitest'
import { isConfigured } from '../../../src/cli/otel-sdk.ts'

describe('isConfigured', () => {
  it.each([
    [{}, 'TRACES', false],
    [{ OTEL_SERVICE_NAME: 'rh' }, 'TRACES', false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'TRACES', true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'METRICS', true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, 'METRICS', false],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, 'TRACES', true],
    [{ OTEL_METRICS_EXPORTER: 'console' }, 'METRICS', true],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' },
      'TRACES',
      false,
    ],
  ] as const)(
    'exports nothing unless an exporter or endpoint is set: %j %s -> %s',
    (env, signal, expected) => {
      expect(isConfigured(env, signal)).toBe(expected)
    },
  )
})
