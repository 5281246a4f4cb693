import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createJudgeCommand } from '../../src/cli/commands/judge.ts'

const EXAMPLE = 'examples/judge/cohorts.json'

interface Run {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number | undefined
}

/** Runs `release-health judge` with in-memory files (falling back to the repository's files). */
async function run(args: string[], files: Record<string, string> = {}): Promise<Run> {
  let stdout = ''
  let stderr = ''
  let exitCode: number | undefined
  const command = createJudgeCommand({
    readFile: (path) => files[path] ?? readFileSync(path, 'utf8'),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    setExitCode: (code) => (exitCode = code),
  })
  command
    .exitOverride()
    .configureOutput({ writeOut: (text) => (stdout += text), writeErr: (text) => (stderr += text) })
  await command.parseAsync(args, { from: 'user' })
  return { stdout, stderr, exitCode }
}

function minutes(count: number, requests: number, errors: number) {
  return Array.from({ length: count }, (_, i) => ({
    startMs: Date.parse('2026-11-22T10:00:00Z') + i * 60_000,
    requests,
    errors,
  }))
}

function cohort(count: number, requests: number, errors: number, latencyMs: number[]) {
  return {
    requests: count * requests,
    errors: count * errors,
    latencyMs,
    minutes: minutes(count, requests, errors),
  }
}

function inputFile(overrides: Record<string, unknown>): string {
  const latency = Array.from({ length: 1000 }, (_, i) => 50 + (i % 100))
  return JSON.stringify({
    startTime: '2026-11-22T10:00:00Z',
    evaluatedAt: '2026-11-22T10:30:30Z',
    policy: { slo: { availability: 0.99 } },
    baseline: cohort(30, 4000, 40, latency),
    canary: cohort(30, 1000, 10, latency),
    ...overrides,
  })
}

describe('release-health judge', () => {
  it('prints the verdict of the example input as JSON and exits 0 for continue', async () => {
    const result = await run(['--input', EXAMPLE, '--policy', 'examples/judge/policy.yaml'])
    const verdict = JSON.parse(result.stdout) as {
      decision: string
      evaluatedAt: string
      window: unknown
      metrics: { name: string; dispersion: { units: number } | null }[]
    }
    expect(verdict.decision).toBe('continue')
    // The example carries per-minute latency samples: minutes are the latency rule's units.
    const p95 = verdict.metrics.find((metric) => metric.name === 'latency-p95')
    expect(p95?.dispersion?.units).toBe(44)
    expect(verdict.evaluatedAt).toBe('2026-11-22T10:45:00.000Z')
    expect(verdict.window).toEqual({
      from: '2026-11-22T10:00:00.000Z',
      to: '2026-11-22T10:45:00.000Z',
    })
    expect(result.exitCode).toBe(0)
  })

  it('exits 1 on rollback', async () => {
    const latency = Array.from({ length: 1000 }, (_, i) => 50 + (i % 100))
    const files = { 'in.json': inputFile({ canary: cohort(30, 1000, 30, latency) }) }
    const result = await run(['--input', 'in.json'], files)
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'rollback' })
    expect(result.exitCode).toBe(1)
  })

  it('exits 2 when the analysis ends inconclusive', async () => {
    const files = {
      'in.json': inputFile({
        evaluatedAt: '2026-11-22T12:00:00Z',
        canary: { requests: 0, errors: 0 },
      }),
    }
    const result = await run(['--input', 'in.json'], files)
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'inconclusive' })
    expect(result.exitCode).toBe(2)
  })

  it('takes the policy from --policy (YAML) over the one in the input', async () => {
    const files = {
      'in.json': inputFile({}),
      'p.yaml': 'alpha: 0.05\nanalysis: { minDuration: 45m }\nslo: { availability: 99% }\n',
    }
    const result = await run(['--input', 'in.json', '--policy', 'p.yaml'], files)
    const verdict = JSON.parse(result.stdout) as { alpha: { total: number }; missing: unknown[] }
    expect(verdict.alpha.total).toBe(0.05)
    expect(verdict.missing).toContainEqual({
      kind: 'duration',
      haveSeconds: 1830,
      needSeconds: 2700,
    })
  })

  it('replays a failed store query as a value, never promoting', async () => {
    const files = { 'in.json': inputFile({ canary: { error: 'timeout after 30 s' } }) }
    const result = await run(['--input', 'in.json'], files)
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'continue' })
    expect(result.stdout).toContain('the canary query failed (timeout after 30 s)')
  })

  it.each([
    [
      'unreadable JSON',
      { 'in.json': '{ nope' },
      ['--input', 'in.json'],
      'in.json is not valid JSON',
    ],
    ['a missing file', {}, ['--input', 'missing.json'], 'cannot read missing.json'],
    [
      'a bad time',
      { 'in.json': inputFile({ startTime: 'yesterday' }) },
      ['--input', 'in.json'],
      'startTime must be an RFC 3339 time',
    ],
    [
      'a bad count',
      { 'in.json': inputFile({ canary: { requests: -1, errors: 0 } }) },
      ['--input', 'in.json'],
      'canary.requests must be an integer >= 0, got -1',
    ],
    [
      'a bad policy',
      { 'in.json': inputFile({ policy: { alpha: 2 } }) },
      ['--input', 'in.json'],
      'policy.alpha must be a number > 0 and <= 0.5, got 2',
    ],
    [
      'time going backwards',
      { 'in.json': inputFile({ evaluatedAt: '2026-11-22T09:00:00Z' }) },
      ['--input', 'in.json'],
      'evaluatedAt must not be before startTime',
    ],
  ])('rejects %s with a message on stderr and exit code 64', async (_, files, args, message) => {
    const result = await run(args, files)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
    expect(result.exitCode).toBe(64)
  })

  it('documents the input format and the exit codes in --help', async () => {
    let help = ''
    const command = createJudgeCommand()
      .exitOverride()
      .configureOutput({ writeOut: (text) => (help += text) })
    await expect(command.parseAsync(['--help'], { from: 'user' })).rejects.toThrow()
    for (const text of [
      '--input <file>',
      '--policy <file>',
      '"evaluatedAt"',
      '"minutes"',
      '1 rollback, 2 inconclusive, 64 bad input',
    ]) {
      expect(help).toContain(text)
    }
  })
})
