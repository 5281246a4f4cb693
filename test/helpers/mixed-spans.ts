import type { AnyValue, KeyValue, Span, TraceRequest } from '../../src/ingest/otlp/otlp-types.ts'
import { createRandom } from '../../src/simulate/seeded-random.ts'

/**
 * Decoded OTLP requests with everything the `spans` columns must carry exactly, for tests that
 * hold two write paths or two decoders to the same rows.
 */

const BASE_NS = 1_795_000_000_000_000_000n

export const hex = (value: number, bytes: number): string =>
  value
    .toString(16)
    .padStart(bytes * 2, '0')
    .slice(-bytes * 2)

/**
 * A request of `count` spans over `resources` resources with everything the columns must
 * carry exactly: every attribute type, repeated keys, non-ASCII text, empty and long values,
 * flags from events and none, errors, roots and children, and more distinct values than one
 * byte can index (span names, routes) so that wider dictionary keys are exercised too.
 */
export function mixedRequest(count: number, resources: number, seed: number): TraceRequest {
  const random = createRandom(seed)
  const perResource = Math.ceil(count / resources)
  return {
    resourceSpans: Array.from({ length: resources }, (_, r) => ({
      resource: {
        attributes: attributes({
          'service.name': r % 3 === 0 ? 'checkout' : `service-${r}`,
          'service.version': r % 2 === 0 ? '1.4.2' : '1.5.0-ünïcode',
          'deployment.environment.name': r % 4 === 0 ? '' : 'production',
          'host.name': `pod-${r}`,
          'process.pid': BigInt(1000 + r),
        }),
      },
      scopeSpans: [
        {
          scope: { name: 'test', version: '1' },
          spans: Array.from({ length: perResource }, (_, i) => {
            const n = r * perResource + i
            const value = random()
            const attributesOfSpan: Record<string, AnyValue> = {
              'http.route': `/items/${n % 700}`,
              'http.response.status_code': BigInt(value < 0.05 ? 503 : 200),
              ratio: value,
              retried: n % 2 === 0,
              tags: ['a', n % 5 === 0 ? 'ß' : 'b', 1n],
              nested: { kvlist: [{ key: 'k', value: 'v' }] },
              empty: '',
              bytes: Uint8Array.of(1, 2, 255),
              long: 'x'.repeat(n % 997 === 0 ? 70_000 : 3),
              日本語: 'значение',
            }
            return {
              traceId: hex(seed * 1_000_000 + n + 1, 16),
              spanId: hex(seed * 1_000_000 + n + 1, 8),
              parentSpanId: n % 3 === 0 ? '' : hex(seed * 1_000_000 + n, 8),
              name: n % 4 === 0 ? `GET /orders/${n}` : 'SELECT',
              kind: n % 3 === 0 ? 2 : 3,
              startTimeUnixNano: BASE_NS + BigInt(n) * 1_000_003n,
              endTimeUnixNano: BASE_NS + BigInt(n) * 1_000_003n + BigInt(Math.floor(value * 1e9)),
              attributes: [
                ...attributes(attributesOfSpan),
                // Repeated: the last value wins, at the first position.
                { key: 'retried', value: 'again' },
              ],
              events:
                n % 2 === 0
                  ? [
                      {
                        name: 'feature_flag.evaluation',
                        timeUnixNano: 0n,
                        attributes: attributes({
                          'feature_flag.key': 'new-checkout',
                          'feature_flag.result.variant': value < 0.5 ? 'on' : 'off',
                        }),
                      },
                    ]
                  : [],
              status: { code: value < 0.02 ? 2 : 0, message: value < 0.02 ? 'boom "quoted"' : '' },
            } satisfies Span
          }),
        },
      ],
    })),
  }
}

export function attributes(record: Readonly<Record<string, AnyValue>>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }))
}
