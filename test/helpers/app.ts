import { resolveConfig } from '../../src/config/resolve-config.ts'
import { startApp, type RunningApp } from '../../src/app.ts'
import { testDataPath, uniqueName } from './store.ts'

/**
 * The whole server in this test process, on free loopback ports, over a fresh embedded store
 * (or RH_TEST_CLICKHOUSE_URL), configured through the same resolver `serve` uses.
 */
export async function startTestApp(
  overrides: Record<string, unknown> = {},
  options: { now?: () => number } = {},
): Promise<RunningApp> {
  const config = resolveConfig({
    file: '/dev/null',
    env: {},
    overrides: {
      'clickhouse.url': process.env.RH_TEST_CLICKHOUSE_URL ?? '',
      'clickhouse.dataPath': testDataPath(),
      'clickhouse.database': uniqueName('rh_e2e'),
      'api.host': '127.0.0.1',
      'api.port': 0,
      'otlp.http.host': '127.0.0.1',
      'otlp.http.port': 0,
      'otlp.grpc.host': '127.0.0.1',
      'otlp.grpc.port': 0,
      'writer.flushIntervalMs': 20,
      // Payload builders use fixed timestamps in the past; keep them inside the retention.
      'clickhouse.ttlDays': 3650,
      ...overrides,
    },
  })
  return startApp({ config, ...options })
}
