import { connect } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { queryRows, uniqueName } from '../helpers/store.ts'

/**
 * Every route that records a verdict (and every other route taking free text) is sent the
 * strings that broke out of a ClickHouse setting before (issue 9.1): the embedded connection
 * writes settings as `SET name = '...'`, escaping `'` but not `\`. Whatever arrives, the answer
 * is a 2xx or a 4xx and no table appears or disappears anywhere in the store.
 */
const INJECTED_TABLE = uniqueName('rh_injected')
const PAYLOADS = [
  '\\',
  'x\\',
  "'",
  `\\'; CREATE TABLE ${INJECTED_TABLE} (x UInt8) ENGINE = Memory; --`,
  `\\'; CREATE TABLE default.${INJECTED_TABLE}_b (x UInt8) ENGINE = Memory; SELECT '`,
  'nul\u0000byte',
  'é中🚀 non-ASCII',
]

let app: RunningApp
let tablesBefore: string[]

async function listTables(): Promise<string[]> {
  const rows = await queryRows<{ database: string; name: string }>(
    app.store,
    `SELECT database, name FROM system.tables
     WHERE database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')
     ORDER BY database, name`,
  )
  return rows.map((row) => `${row.database}.${row.name}`)
}

beforeAll(async () => {
  app = await startTestApp()
  tablesBefore = await listTables()
})
afterAll(() => app.stop())

async function send(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${app.apiUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(20_000),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return { status: response.status, text: await response.text() }
}

/** A GET written byte by byte, so that a header can carry what fetch refuses to send. */
async function rawGet(path: string, userAgent: Buffer): Promise<number> {
  const url = new URL(app.apiUrl)
  const head = Buffer.concat([
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: `),
    userAgent,
    Buffer.from('\r\nConnection: close\r\n\r\n'),
  ])
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let answer = ''
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer within 20 s')))
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]
      if (status === undefined) reject(new Error(`no status line in ${JSON.stringify(answer)}`))
      else resolve(Number(status))
    })
    socket.write(head)
  })
}

/**
 * Unhandled answers are collected rather than thrown, so that every payload is sent even after
 * one fails, and the table list is checked after all of them.
 */
let unhandled: string[] = []

function expectHandled(answer: { status: number; text: string }, what: string): void {
  if (answer.status < 200 || answer.status >= 500)
    unhandled.push(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`)
}

beforeEach(() => {
  unhandled = []
})
afterEach(() => {
  expect(unhandled).toEqual([])
})

async function createAnalysis(service = 'checkout'): Promise<string> {
  const created = await send('POST', '/api/v1/analyses', {
    body: { service, baseline: { release: '1.0.0' }, canary: { release: '1.1.0' } },
  })
  expect(created.status, created.text).toBe(201)
  return (JSON.parse(created.text) as { id: string }).id
}

const query = (value: string): string => encodeURIComponent(value)

describe('request text that reaches the store', () => {
  it('is recorded as data when a controller names itself with ?requester=', async () => {
    const id = await createAnalysis()
    for (const payload of PAYLOADS) {
      const answer = await send('GET', `/api/v1/analyses/${id}/verdict?requester=${query(payload)}`)
      expectHandled(answer, `requester ${JSON.stringify(payload)}`)
    }
    const history = await send('GET', `/api/v1/analyses/${id}/verdicts`)
    const requesters = (JSON.parse(history.text) as { verdicts: { requester: string }[] }).verdicts
    const refused = await send('GET', `/api/v1/analyses/${id}/verdict?requester=a%00b`)
    expect(refused.status).toBe(400)
    expect(refused.text).toMatch(/RH_API_INVALID_REQUEST.*requester/)
    // Whatever was refused at the door (NUL), the rest is kept verbatim in the audit trail.
    expect(requesters.map((verdict) => verdict.requester)).toEqual(
      expect.arrayContaining(PAYLOADS.filter((payload) => !payload.includes('\u0000'))),
    )
  })

  it('is recorded as data when it comes as the User-Agent, byte by byte', async () => {
    for (const payload of [...PAYLOADS, 'utf8 bytes é中']) {
      // Each analysis records its first verdict whoever asks, so each payload gets a new one.
      const id = await createAnalysis()
      const status = await rawGet(`/api/v1/analyses/${id}/verdict`, Buffer.from(payload, 'utf8'))
      expectHandled({ status, text: '' }, `User-Agent ${JSON.stringify(payload)}`)
    }
  })

  it('is handled in every field of the Argo Rollouts poll', async () => {
    const fields = [
      'requester',
      'service',
      'environment',
      'baselineRelease',
      'canaryRelease',
      'startTime',
    ]
    for (const payload of PAYLOADS) {
      for (const field of fields) {
        const params = new URLSearchParams({
          service: 'checkout',
          baselineRelease: '1.0.0',
          canaryRelease: '1.1.0',
          [field]: payload,
        })
        const answer = await send('GET', `/api/v1/argo-rollouts/verdict?${params.toString()}`)
        expectHandled(answer, `argo ${field}=${JSON.stringify(payload)}`)
      }
      const flags = new URLSearchParams({
        service: 'checkout',
        flagKey: payload,
        baselineVariant: payload,
        canaryVariant: 'on',
      })
      expectHandled(
        await send('GET', `/api/v1/argo-rollouts/verdict?${flags.toString()}`),
        `argo flag ${JSON.stringify(payload)}`,
      )
    }
  })

  it('is handled in every field of the Flagger webhooks, metadata included', async () => {
    const metadataFields = [
      'service',
      'environment',
      'baselineRelease',
      'canaryRelease',
      'analysisId',
      'startTime',
      'policy',
    ]
    for (const hook of ['rollout', 'confirm-promotion', 'rollback']) {
      for (const payload of PAYLOADS) {
        const base = {
          name: 'checkout',
          namespace: 'shop',
          checksum: '1',
          metadata: { baselineRelease: '1.0.0', canaryRelease: '1.1.0' },
        }
        const bodies = [
          { ...base, name: payload },
          { ...base, namespace: payload },
          { ...base, checksum: payload, phase: payload, type: payload },
          ...metadataFields.map((field) => ({
            ...base,
            checksum: `${field}-${payload}`,
            metadata: { ...base.metadata, [field]: payload },
          })),
        ]
        for (const body of bodies) {
          expectHandled(
            await send('POST', `/api/v1/flagger/${hook}`, { body }),
            `flagger ${hook} ${JSON.stringify(body)}`,
          )
        }
      }
    }
  })

  it('is handled in analysis ids, query strings and bodies of every other route', async () => {
    for (const payload of PAYLOADS) {
      const id = query(payload)
      for (const path of [
        `/api/v1/analyses/${id}`,
        `/api/v1/analyses/${id}/verdict`,
        `/api/v1/analyses/${id}/verdicts`,
        `/api/v1/analyses/${id}/series`,
        `/api/v1/analyses?service=${id}`,
        `/api/v1/analyses/x/verdict?at=${id}`,
      ]) {
        expectHandled(await send('GET', path), `GET ${path}`)
      }
      expectHandled(
        await send('PUT', `/api/v1/analyses/${id}/policy`, { body: {} }),
        `PUT policy of ${JSON.stringify(payload)}`,
      )
      const created = await send('POST', '/api/v1/analyses', {
        body: {
          service: payload,
          environment: payload,
          baseline: { release: payload },
          canary: { flag: { key: payload, variant: payload } },
        },
      })
      expectHandled(created, `create with ${JSON.stringify(payload)}`)
      if (created.status === 201) {
        const analysisId = (JSON.parse(created.text) as { id: string }).id
        expectHandled(
          await send('GET', `/api/v1/analyses/${analysisId}/verdict`),
          `verdict of ${JSON.stringify(payload)}`,
        )
      }
    }
  })

  it('leaves the table list of the store as it was', async () => {
    expect(await listTables()).toEqual(tablesBefore)
    const injected = await queryRows<{ name: string }>(
      app.store,
      'SELECT name FROM system.tables WHERE startsWith(name, {prefix:String})',
      { prefix: INJECTED_TABLE },
    )
    expect(injected).toEqual([])
  })
})
