import { existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { runCli } from '../helpers/serve-process.ts'
import { queryRows } from '../helpers/store.ts'
import { sendTraffic } from '../helpers/traffic.ts'

const QUERY = 'query-token-0123456789abcdef'
const READ = 'read-token-0123456789abcdef'
const INGEST = 'ingest-token-0123456789abcdef'
const OUTFILE = join(tmpdir(), `rh-sql-outfile-${process.pid}.txt`)

let app: RunningApp
const nowMs = Date.now()

beforeAll(async () => {
  rmSync(OUTFILE, { force: true })
  app = await startTestApp({
    'auth.tokens': [`query:${QUERY}`, `read:${READ}`, `ingest:${INGEST}`],
    'sql.maxResultRows': 50,
    'sql.maxExecutionSeconds': 1,
  })
  await sendTraffic(app, {
    service: 'checkout',
    release: '1.4.2',
    requests: 300,
    failEvery: 30,
    fromMs: nowMs - 5 * 60_000,
    toMs: nowMs - 60_000,
    token: INGEST,
  })
})
afterAll(() => app.stop())

async function sql(
  query: string,
  token = QUERY,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.apiUrl}/api/v1/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function spanCount(): Promise<string> {
  const [row] = await queryRows<{ n: string }>(
    app.store,
    `SELECT count() AS n FROM ${app.store.database}.spans`,
  )
  return row?.n ?? ''
}

describe('POST /api/v1/sql', () => {
  it('answers a SELECT over the release-health tables with its columns and rows', async () => {
    const { status, body } = await sql(
      `SELECT release, sum(requests) AS requests, sum(errors) AS errors
       FROM request_rollup_1m WHERE service = 'checkout' AND flag_key = '' GROUP BY release`,
    )
    expect(status).toBe(200)
    expect(body).toEqual({
      columns: [
        { name: 'release', type: 'LowCardinality(String)' },
        { name: 'requests', type: 'UInt64' },
        { name: 'errors', type: 'UInt64' },
      ],
      rows: [['1.4.2', '300', '10']],
      truncated: false,
      statement: expect.stringMatching(/^SELECT release/),
    })
  })

  it('answers a SELECT without FROM, which reads the one-row system.one', async () => {
    expect((await sql('SELECT 1 + 1 AS two')).body.rows).toEqual([[2]])
  })

  it('answers the next query properly after one that failed', async () => {
    expect((await sql('SELECT sum(sipHash64(number)) FROM numbers(100000000000)')).status).toBe(400)
    expect((await sql('SELECT 2 AS two')).body).toMatchObject({ rows: [[2]] })
  })

  it('allows WITH, number generators and keywords inside string literals', async () => {
    const { status, body } = await sql(
      `WITH minutes AS (SELECT number AS m FROM numbers(3)) SELECT count() AS n, 'SETTINGS; FORMAT' AS label FROM minutes`,
    )
    expect(status).toBe(200)
    expect(body.rows).toEqual([['3', 'SETTINGS; FORMAT']])
  })

  it('needs the query scope', async () => {
    expect((await sql('SELECT 1', READ)).status).toBe(403)
    expect((await sql('SELECT 1', 'not-a-token-at-all-here')).status).toBe(401)
  })

  it.each([
    ['a write', `INSERT INTO spans (service) VALUES ('x')`],
    ['a write to a system table', `INSERT INTO system.query_log (query) VALUES ('x')`],
    ['a system command', 'SYSTEM FLUSH LOGS'],
    ['a schema change', 'ALTER TABLE spans DELETE WHERE 1'],
    ['a table drop', 'DROP TABLE spans'],
    ['a new table', 'CREATE TABLE evil (x UInt8) ENGINE = Memory'],
    ['a SET statement', 'SET readonly = 0'],
    ['a SETTINGS clause', 'SELECT 1 SETTINGS max_execution_time = 3600'],
    ['a SETTINGS clause lifting readonly', 'SELECT count() FROM spans SETTINGS readonly = 0'],
    ['two statements', 'SELECT 1; DROP TABLE spans'],
    ['a statement hidden after a comment', 'SELECT 1 -- harmless\n; DROP TABLE spans'],
    ['a write in a second statement', `SELECT 1; INSERT INTO spans (service) VALUES ('x')`],
    ['a system table', 'SELECT name FROM system.tables'],
    [
      'a system table on the right of IN',
      `SELECT count() FROM spans WHERE name IN system.databases`,
    ],
    ['another database', 'SELECT * FROM information_schema.tables'],
    ['a file read by a function', `SELECT file('/etc/hostname')`],
    ['a file table function', `SELECT * FROM file('/etc/hostname', 'LineAsString')`],
    ['a url table function', `SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')`],
    ['a remote table function', `SELECT * FROM remote('127.0.0.1', system.one)`],
    ['a dictionary', `SELECT dictGet('d', 'x', toUInt64(1))`],
    ['a file written by INTO OUTFILE', `SELECT 1 INTO OUTFILE '${OUTFILE}'`],
    ['a FORMAT clause', 'SELECT 1 FORMAT CSV'],
    ['a FORMAT clause writing a file', `SELECT 1 INTO OUTFILE '${OUTFILE}' FORMAT CSV`],
  ])('refuses %s', async (_what, query) => {
    const before = await spanCount()
    const { status, body } = await sql(query)
    expect(status).toBe(400)
    expect(body).toMatchObject({
      error: { code: expect.stringMatching(/^RH_SQL_(REFUSED|FAILED)$/) },
    })
    expect(await spanCount()).toBe(before)
    expect(existsSync(OUTFILE)).toBe(false)
  })

  it('says why a query was refused', async () => {
    expect((await sql('SELECT 1; DROP TABLE spans')).body).toMatchObject({
      error: { code: 'RH_SQL_REFUSED', message: expect.stringMatching(/one valid statement/) },
    })
    expect((await sql('SELECT 1 SETTINGS readonly = 0')).body).toMatchObject({
      error: { code: 'RH_SQL_REFUSED', message: expect.stringMatching(/SETTINGS/) },
    })
    expect((await sql(`SELECT file('/etc/hostname')`)).body).toMatchObject({
      error: { code: 'RH_SQL_REFUSED', message: expect.stringMatching(/file\(\)/) },
    })
    expect((await sql('SELECT name FROM system.tables')).body).toMatchObject({
      error: { code: 'RH_SQL_REFUSED', message: expect.stringMatching(/outside/) },
    })
  })

  it('cuts results at sql.maxResultRows and says so', async () => {
    const { status, body } = await sql('SELECT number FROM numbers(1000)')
    expect(status).toBe(200)
    expect(body.rows).toHaveLength(50)
    expect(body.truncated).toBe(true)
  })

  it('stops a query at sql.maxExecutionSeconds', async () => {
    const { status, body } = await sql('SELECT sum(sipHash64(number)) FROM numbers(100000000000)')
    expect(status).toBe(400)
    expect(body).toMatchObject({
      error: { code: 'RH_SQL_FAILED', message: expect.stringMatching(/TIMEOUT|time/i) },
    })
  })

  it('leaves the rest of release-health writable: ingest still stores spans', async () => {
    const before = Number(await spanCount())
    await sendTraffic(app, {
      service: 'checkout',
      release: '1.5.0',
      requests: 20,
      failEvery: 0,
      fromMs: nowMs - 60_000,
      toMs: nowMs,
      token: INGEST,
    })
    expect(Number(await spanCount())).toBe(before + 20)
  })

  it('is what `release-health sql` runs, printing the rows, and exiting 1 with the reason when refused', async () => {
    const ok = runCli(
      [
        'sql',
        '--api',
        app.apiUrl,
        '--format',
        'csv',
        `SELECT release, count() AS n FROM spans WHERE release = '1.4.2' GROUP BY release`,
      ],
      { RH_API_TOKEN: QUERY },
    )
    expect(await ok.exited, ok.output()).toBe(0)
    expect(ok.output().trim()).toBe('release,n\n1.4.2,300')
    const refused = runCli(['sql', '--api', app.apiUrl, '--token', QUERY, 'DROP TABLE spans'])
    expect(await refused.exited).toBe(1)
    expect(refused.output()).toMatch(/RH_SQL_REFUSED/)
  })
})
