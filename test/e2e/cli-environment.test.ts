import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/serve-process.ts'

describe('release-health commands and their environment', () => {
  it('warn by name about an RH_ variable that no setting reads, and log JSON lines when not on a terminal', async () => {
    const run = runCli(['migrate'], {
      RH_CLICKHOUSE_DATA_PATH: mkdtempSync(join(tmpdir(), 'rh-env-')),
      RH_CLICKHOUSE_URI: 'http://clickhouse:8123',
      RH_LOG_FORMAT: '',
    })
    expect(await run.exited).toBe(0)
    const warning = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; variable?: string })
      .find((event) => event.variable === 'RH_CLICKHOUSE_URI')
    expect(warning).toMatchObject({
      level: 40,
      msg: expect.stringMatching(/RH_CLICKHOUSE_URI.*did you mean RH_CLICKHOUSE_URL\?/),
    })
  })
})
