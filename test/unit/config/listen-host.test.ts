import { describe, expect, it } from 'vitest'
import { createProgram } from '../../../src/cli/main.ts'
import { resolveConfig } from '../../../src/config/resolve-config.ts'

describe('the listen address', () => {
  it('is this machine only by default, for the API and the OTLP/HTTP receiver', () => {
    const config = resolveConfig({ file: '/dev/null', env: {} })
    expect(config.api.host).toBe('127.0.0.1')
    expect(config.otlp.http.host).toBe('127.0.0.1')
  })

  it('is set per server by RH_API_HOST and RH_OTLP_HTTP_HOST', () => {
    const config = resolveConfig({
      file: '/dev/null',
      env: { RH_API_HOST: '0.0.0.0', RH_OTLP_HTTP_HOST: '::' },
    })
    expect(config.api.host).toBe('0.0.0.0')
    expect(config.otlp.http.host).toBe('::')
  })

  it('is set for both by serve --host, as its help says', () => {
    const serve = createProgram().commands.find((command) => command.name() === 'serve')
    const option = serve?.options.find((candidate) => candidate.long === '--host')
    expect(option?.description).toMatch(/127\.0\.0\.1.*0\.0\.0\.0.*api\.host, otlp\.http\.host/)
  })
})
