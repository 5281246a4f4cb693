import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isRhError } from '../../../src/errors.ts'
import {
  createOauthTokenSource,
  jwtExpiryMs,
  refreshAt,
} from '../../../src/ingest/kafka/security/oauth-token.ts'

function jwt(claims: object): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(claims)}.`
}

describe('createOauthTokenSource', () => {
  it('reads the token file again once it changed, and not before', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rh-token-')), 'token')
    writeFileSync(file, 'first-token\n')
    utimesSync(file, 1_000, 1_000)
    const token = createOauthTokenSource({ file, refreshSeconds: 300 })
    expect(await token()).toEqual({ value: 'first-token' })
    writeFileSync(file, 'second-token\n')
    utimesSync(file, 2_000, 2_000)
    expect(await token()).toEqual({ value: 'second-token' })
  })

  it('runs the command again before a JWT expires, and reuses the token until then', async () => {
    let clockMs = 1_000_000_000
    let runs = 0
    const lifetimeSeconds = 3_600
    const token = createOauthTokenSource({
      command: 'get-token',
      refreshSeconds: 300,
      now: () => clockMs,
      runCommand: () => {
        runs++
        return Promise.resolve(jwt({ sub: 'w', exp: clockMs / 1000 + lifetimeSeconds, n: runs }))
      },
    })
    const first = await token()
    clockMs += 30 * 60_000
    expect(await token()).toEqual(first)
    expect(runs).toBe(1)
    // 80% of the hour has passed: the next authentication gets a fresh token.
    clockMs += 19 * 60_000
    expect((await token()).value).not.toBe(first.value)
    expect(runs).toBe(2)
  })

  it('shares one run of the command between authentications that ask at once', async () => {
    let runs = 0
    const token = createOauthTokenSource({
      command: 'get-token',
      refreshSeconds: 300,
      runCommand: async () => {
        runs++
        await new Promise((resolve) => setTimeout(resolve, 10))
        return 'opaque-token'
      },
    })
    const tokens = await Promise.all([token(), token(), token()])
    expect(tokens.map((t) => t.value)).toEqual(['opaque-token', 'opaque-token', 'opaque-token'])
    expect(runs).toBe(1)
  })

  it('fails with RH_KAFKA_AUTH_FAILED, without the command line, when the command fails', async () => {
    const token = createOauthTokenSource({
      command: "echo 'no such client' >&2; exit 3 # --client-secret=s3cr3t",
      refreshSeconds: 300,
    })
    const error = (await token().catch((thrown: unknown) => thrown)) as Error
    expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
    expect(error.message).toContain('exited with 3: no such client')
    expect(error.message).not.toContain('s3cr3t')
  })

  it('refuses an empty token file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rh-token-')), 'token')
    writeFileSync(file, '\n')
    const error = (await createOauthTokenSource({ file, refreshSeconds: 300 })().catch(
      (thrown: unknown) => thrown,
    )) as Error
    expect(isRhError(error, 'RH_KAFKA_AUTH_FAILED')).toBe(true)
    expect(error.message).toContain('must hold one OAUTHBEARER token')
  })
})

describe('refreshAt', () => {
  it('refreshes an opaque token after refreshSeconds', () => {
    expect(refreshAt('opaque', 10_000, { refreshSeconds: 300 })).toBe(310_000)
  })

  it('refreshes a short-lived JWT a minute before it expires at the latest', () => {
    const token = jwt({ exp: 100 })
    expect(jwtExpiryMs(token)).toBe(100_000)
    expect(refreshAt(token, 70_000, { refreshSeconds: 300 })).toBe(40_000)
  })
})
