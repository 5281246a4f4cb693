import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { RhError, toMessage } from '../../../errors.ts'

/** A token as KafkaJS's OAUTHBEARER mechanism wants it. */
export interface OauthBearerToken {
  readonly value: string
}

export interface OauthTokenSourceOptions {
  /** A file holding the token, read again whenever its modification time changes. */
  readonly file?: string
  /** A shell command printing the token on stdout, run again before the token expires. */
  readonly command?: string
  /** How long a token without an `exp` claim is used before it is fetched again. */
  readonly refreshSeconds: number
  readonly now?: () => number
  /** Runs the command; the default runs it with `/bin/sh -c`. */
  readonly runCommand?: (command: string) => Promise<string>
}

/** A command that has not printed a token in this long is stopped. */
const COMMAND_TIMEOUT_MS = 30_000
/**
 * A JWT is fetched again once this share of its lifetime is left, or a minute, whichever is
 * longer: KafkaJS re-authenticates a little before the broker's session ends (the session
 * lasts until the token's `exp`) and must get a fresh token then, not the one running out.
 */
const REFRESH_REMAINING_SHARE = 0.2
const REFRESH_REMAINING_MIN_MS = 60_000

/**
 * The OAUTHBEARER token provider handed to KafkaJS, called on every authentication (each new
 * connection, and each re-authentication the broker asks for when a session ends). The token
 * comes from a file that something else keeps fresh (a Kubernetes projected token, a sidecar),
 * or from a command (a cloud CLI, a script that asks the identity provider).
 *
 * File: read again whenever the file changed, so a rotated token is used from the next
 * authentication on. Command: run once and reused until a little before the token's `exp`
 * claim (a JWT), or for `refreshSeconds` (an opaque token); concurrent authentications share
 * one run. The token itself is never logged or put in an error message.
 *
 * @throws RhError `RH_KAFKA_AUTH_FAILED` when the file cannot be read, the command fails, or
 *   either yields an empty token.
 */
export function createOauthTokenSource(
  options: OauthTokenSourceOptions,
): () => Promise<OauthBearerToken> {
  const now = options.now ?? Date.now
  const runCommand = options.runCommand ?? runShellCommand
  const { file, command } = options
  if ((file === undefined) === (command === undefined)) {
    throw new RhError(
      'RH_CONFIG_INVALID',
      'OAUTHBEARER needs exactly one of kafka.sasl.oauthTokenFile and kafka.sasl.oauthTokenCommand',
    )
  }
  let cached: { token: string; version: string; refreshAtMs: number } | undefined
  let fetching: Promise<OauthBearerToken> | undefined

  const fromFile = async (path: string): Promise<OauthBearerToken> => {
    let version: string
    let text: string
    try {
      version = String((await stat(path)).mtimeMs)
      if (cached?.version === version) return { value: cached.token }
      text = await readFile(path, 'utf8')
    } catch (error) {
      throw authFailure(`cannot read the OAUTHBEARER token file ${path}: ${toMessage(error)}`)
    }
    const token = toToken(text, `the token file ${path}`)
    cached = { token, version, refreshAtMs: Number.POSITIVE_INFINITY }
    return { value: token }
  }

  const fromCommand = async (line: string): Promise<OauthBearerToken> => {
    if (cached !== undefined && now() < cached.refreshAtMs) return { value: cached.token }
    let output: string
    try {
      output = await runCommand(line)
    } catch (error) {
      throw authFailure(
        `the OAUTHBEARER token command (kafka.sasl.oauthTokenCommand) failed: ${toMessage(error)}`,
      )
    }
    const token = toToken(output, 'the token command')
    const fetchedAtMs = now()
    cached = { token, version: '', refreshAtMs: refreshAt(token, fetchedAtMs, options) }
    return { value: token }
  }

  return () => {
    fetching ??= (file === undefined ? fromCommand(command as string) : fromFile(file)).finally(
      () => {
        fetching = undefined
      },
    )
    return fetching
  }
}

/** When a token fetched at `fetchedAtMs` should be fetched again. */
export function refreshAt(
  token: string,
  fetchedAtMs: number,
  options: Pick<OauthTokenSourceOptions, 'refreshSeconds'>,
): number {
  const expiresAtMs = jwtExpiryMs(token)
  if (expiresAtMs === undefined) return fetchedAtMs + options.refreshSeconds * 1000
  const lifetimeMs = Math.max(0, expiresAtMs - fetchedAtMs)
  return expiresAtMs - Math.max(lifetimeMs * REFRESH_REMAINING_SHARE, REFRESH_REMAINING_MIN_MS)
}

/** The `exp` claim of a JWT in milliseconds, or undefined for a token that is not a JWT. */
export function jwtExpiryMs(token: string): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const exp = (claims as { exp?: unknown } | null)?.exp
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

function toToken(text: string, source: string): string {
  const token = text.trim()
  if (token === '' || /\s/.test(token)) {
    throw authFailure(
      `${source} must hold one OAUTHBEARER token (no spaces), got ${token === '' ? 'nothing' : 'text with spaces'}`,
    )
  }
  return token
}

function authFailure(message: string): RhError {
  return new RhError('RH_KAFKA_AUTH_FAILED', message)
}

function runShellCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout)
        // Neither the command line (it may carry a client secret) nor stdout (a partial token)
        // is repeated; the exit status and the first line of stderr say what went wrong.
        const status = error.killed
          ? `was stopped after ${COMMAND_TIMEOUT_MS / 1000} s`
          : `exited with ${error.code ?? error.signal ?? 'an error'}`
        const reason = (stderr.split('\n')[0] ?? '').trim().slice(0, 200)
        reject(new Error(reason === '' ? status : `${status}: ${reason}`))
      },
    )
  })
}
