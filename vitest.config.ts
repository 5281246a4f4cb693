import { defineConfig } from 'vitest/config'

// Each test file runs in its own process: the embedded ClickHouse engine (chDB) allows one
// data directory per process, so files never share an engine and can run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/setup/kafka-global-setup.ts'],
    reporters: ['default'],
  },
})
