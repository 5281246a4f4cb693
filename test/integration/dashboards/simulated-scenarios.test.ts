import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningApp } from '../../../src/app.ts'
import { createSimulateCommand } from '../../../src/cli/commands/simulate.ts'
import { startTestApp } from '../../helpers/app.ts'
import { simulate } from './simulated-data.ts'

/**
 * The simulator's scenarios keep the promises `simulate --help` makes, since the README's
 * quickstart and the dashboards are shown with them.
 */
let app: RunningApp

beforeAll(async () => {
  app = await startTestApp()
})

afterAll(async () => {
  await app?.stop()
})

async function verdictOf(analysisId: string): Promise<{ decision: string; reasons: string[] }> {
  const response = await fetch(`${app.apiUrl}/api/v1/analyses/${analysisId}/verdict`)
  return (await response.json()) as { decision: string; reasons: string[] }
}

describe('simulated scenarios', () => {
  it('bad-release rolls back, naming the error rate and the latency', async () => {
    const { analysisId } = await simulate(app, 'bad-release')
    const verdict = await verdictOf(analysisId)
    expect(verdict.decision).toBe('rollback')
    expect(verdict.reasons.join('\n')).toMatch(/^error-rate: .*\n(.*\n)*latency-p95: /m)
  })

  it('bad-flag rolls back the flag variant', async () => {
    const { analysisId } = await simulate(app, 'bad-flag')
    expect((await verdictOf(analysisId)).decision).toBe('rollback')
  })

  it('healthy is never rolled back', async () => {
    const { analysisId } = await simulate(app, 'healthy')
    expect(['continue', 'promote']).toContain((await verdictOf(analysisId)).decision)
  })

  it('downstream-breakage rolls back on the callee’s blast-radius metric, its own error rate unchanged', async () => {
    const { analysisId } = await simulate(app, 'downstream-breakage')
    const verdict = (await verdictOf(analysisId)) as {
      decision: string
      reasons: string[]
      metrics: { name: string; decision: string }[]
    }
    expect(verdict.decision).toBe('rollback')
    const decisionOf = (name: string): string | undefined =>
      verdict.metrics.find((metric) => metric.name === name)?.decision
    expect(decisionOf('blast-radius:inventory:error-rate')).toBe('worse')
    expect(decisionOf('error-rate')).not.toBe('worse')
  })

  it('release-train rolls the train back, naming invoices and its error rate', async () => {
    const { analysisId: trainId } = await simulate(app, 'release-train')
    const response = await fetch(`${app.apiUrl}/api/v1/trains/${trainId}/verdict`)
    const verdict = (await response.json()) as {
      decision: string
      causes: { member: string; metric: string }[]
      members: { service: string; decision: string }[]
    }
    expect(verdict.decision).toBe('rollback')
    expect(verdict.causes).toContainEqual({ member: 'invoices', metric: 'error-rate' })
    expect(verdict.members.find((member) => member.service === 'orders')?.decision).not.toBe(
      'rollback',
    )
  })

  it('low-traffic continues, saying how many requests are missing', async () => {
    const { analysisId } = await simulate(app, 'low-traffic', { ratePerSecond: 0.3 })
    const verdict = await verdictOf(analysisId)
    expect(verdict.decision).toBe('continue')
    expect(verdict.reasons.join('\n')).toMatch(/requests|samples/)
  })
})

describe('release-health simulate', () => {
  it('prints the analysis id and where to watch its verdict', async () => {
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line))
    try {
      await createSimulateCommand().parseAsync(
        [
          ...['--scenario', 'low-traffic', '--duration', '0', '--backfill', '5m'],
          ...['--endpoint', app.otlpHttpUrl ?? '', '--api', app.apiUrl],
        ],
        { from: 'user' },
      )
    } finally {
      log.mockRestore()
    }
    const output = printed.join('\n')
    const id = /analysis ([0-9a-f-]{36})/.exec(output)?.[1]
    expect(id).toBeDefined()
    expect(output).toContain(`${app.apiUrl}/api/v1/analyses/${id}/verdict`)
    expect(output).toContain(`${app.apiUrl}/analyses/${id}`)
    expect(output).toMatch(/final verdict: continue/)
  })

  it('refuses a scenario it does not have', async () => {
    const command = createSimulateCommand().exitOverride()
    command.configureOutput({ writeErr: () => undefined })
    await expect(
      command.parseAsync(['--scenario', 'sideways', '--duration', '0'], { from: 'user' }),
    ).rejects.toThrow(
      /Allowed choices are healthy, bad-release, bad-flag, low-traffic, downstream-breakage, release-train/,
    )
  })
})
