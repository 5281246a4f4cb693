import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, parsePolicy } from '../../../src/analysis/index.ts'

const COUNTERS_ONLY = [{ name: 'error-rate', kind: 'error-rate' }]

describe('parsePolicy source', () => {
  it("reads spans from the instance's default span table unless told otherwise", () => {
    expect(parsePolicy({}).source).toEqual({ kind: 'spans' })
    expect(DEFAULT_POLICY.source).toEqual({ kind: 'spans' })
    expect(parsePolicy({ source: 'spans' }).source).toEqual({ kind: 'spans' })
    expect(parsePolicy({ source: { kind: 'spans' } }).source).toEqual({ kind: 'spans' })
  })

  it.each([
    ['otel_traces', { kind: 'spans', table: 'otel_traces' }],
    [{ kind: 'otel_traces' }, { kind: 'spans', table: 'otel_traces' }],
    [
      { kind: 'spans', table: 'otel_traces' },
      { kind: 'spans', table: 'otel_traces' },
    ],
    [
      { kind: 'spans', table: 'spans' },
      { kind: 'spans', table: 'spans' },
    ],
  ])("reads the span table %j names, whatever the instance's default", (raw, parsed) => {
    const policy = parsePolicy({ source: raw })
    expect(policy.source).toEqual(parsed)
    expect(parsePolicy(policy)).toEqual(policy)
  })

  it('reads the semantic-convention HTTP server duration histogram for `source: metrics`', () => {
    expect(parsePolicy({ source: 'metrics' }).source).toEqual({
      kind: 'metrics',
      requests: { metric: 'http.server.request.duration', where: {} },
      errors: {
        kind: 'attributes',
        statusAttribute: 'http.response.status_code',
        minStatus: 500,
        errorTypeAttribute: 'error.type',
      },
      latency: { metric: 'http.server.request.duration', where: {} },
    })
  })

  it('reads a counter pair, with attribute filters, and no latency', () => {
    const policy = parsePolicy({
      metrics: COUNTERS_ONLY,
      source: {
        kind: 'metrics',
        requests: { metric: 'orders.processed', where: { region: 'eu', shard: 3 } },
        errors: { metric: 'orders.failed' },
        latency: null,
      },
    })
    expect(policy.source).toEqual({
      kind: 'metrics',
      requests: { metric: 'orders.processed', where: { region: 'eu', shard: '3' } },
      errors: { kind: 'metric', metric: 'orders.failed', where: {} },
      latency: null,
    })
    expect(parsePolicy(policy)).toEqual(policy)
  })

  it('reads any histogram, with its own error attributes', () => {
    const source = parsePolicy({
      source: {
        kind: 'metrics',
        requests: 'rpc.server.duration',
        errors: { statusAttribute: 'rpc.grpc.status_code', minStatus: 400, errorTypeAttribute: '' },
      },
    }).source
    expect(source).toMatchObject({
      latency: { metric: 'rpc.server.duration' },
      errors: { kind: 'attributes', statusAttribute: 'rpc.grpc.status_code', minStatus: 400 },
    })
  })

  it('reads latency from the requests histogram, its attribute filter included, when latency is not named', () => {
    const source = parsePolicy({
      source: { kind: 'metrics', requests: { metric: 'rpc.server.duration', where: { a: 'b' } } },
    }).source
    expect(source).toMatchObject({ latency: { metric: 'rpc.server.duration', where: { a: 'b' } } })
  })

  const refusals: [string, unknown, RegExp][] = [
    [
      'latency metrics without a latency source',
      { source: { kind: 'metrics', latency: null } },
      /policy\.metrics\[1\] must be no latency metric/,
    ],
    [
      'an unknown kind',
      { source: { kind: 'logs' } },
      /policy\.source\.kind must be one of "spans", "otel_traces", "metrics"/,
    ],
    [
      'an unknown span table',
      { source: { kind: 'spans', table: 'traces' } },
      /policy\.source\.table must be one of "spans", "otel_traces"/,
    ],
    [
      'a span table on a metrics source',
      { source: { kind: 'metrics', table: 'otel_traces' } },
      /policy\.source\.table must be left out when reading metrics/,
    ],
    [
      'a second span table on kind otel_traces',
      { source: { kind: 'otel_traces', table: 'spans' } },
      /policy\.source\.table must be left out for kind otel_traces/,
    ],
    [
      'errors mixing a metric and attributes',
      { source: { kind: 'metrics', errors: { metric: 'x', minStatus: 500 } } },
      /policy\.source\.errors\.minStatus must be left out/,
    ],
    [
      'a status that is not one',
      { source: { kind: 'metrics', errors: { minStatus: 700 } } },
      /minStatus must be an integer >= 100 and <= 599/,
    ],
    [
      'a where that is not an object',
      { source: { kind: 'metrics', requests: { metric: 'm', where: ['a'] } } },
      /source\.requests\.where must be an object/,
    ],
    [
      'an empty metric name',
      { source: { kind: 'metrics', requests: '' } },
      /source\.requests must be a metric name/,
    ],
    [
      'spans with metric settings',
      { source: { kind: 'spans', requests: 'm' } },
      /policy\.source\.requests must be left out when reading spans/,
    ],
  ]

  it.each(refusals)('refuses %s, naming the field', (_name, raw, message) => {
    expect(() => parsePolicy(raw)).toThrow(message)
  })
})
