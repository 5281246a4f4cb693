import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createCliLogger, defaultLogFormat } from '../../../src/cli/logger.ts'

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { stream, text: () => Buffer.concat(chunks).toString() }
}

const originalTz = process.env.TZ
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ
  else process.env.TZ = originalTz
})

describe('createCliLogger', () => {
  it('writes pretty lines with the local time and the level name for people at a terminal', () => {
    process.env.TZ = 'Asia/Kolkata'
    const out = capture()
    const logger = createCliLogger({ level: 'info', format: 'pretty', destination: out.stream })
    logger.warn({ queuedRows: 12 }, 'shutting down')
    logger.debug({}, 'not shown at info')
    const text = out.text()
    expect(text).toMatch(
      /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \+0530\] WARN: shutting down$/m,
    )
    expect(text).toMatch(/queuedRows: 12/)
    expect(text).not.toMatch(/not shown/)
    expect(text).not.toMatch(/^\{/m)
  })

  it('writes one JSON object a line otherwise', () => {
    const out = capture()
    const logger = createCliLogger({ level: 'debug', format: 'json', destination: out.stream })
    logger.info({ url: 'http://127.0.0.1:8080' }, 'API listening')
    logger.debug({ rows: 3 }, 'batch written')
    const lines = out.text().trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 30, msg: 'API listening', url: 'http://127.0.0.1:8080' }),
      expect.objectContaining({ level: 20, msg: 'batch written', rows: 3 }),
    ])
  })

  it('chooses pretty on a terminal and JSON on a pipe', () => {
    expect(defaultLogFormat({ isTTY: true })).toBe('pretty')
    expect(defaultLogFormat({ isTTY: false })).toBe('json')
    expect(defaultLogFormat({})).toBe('json')
  })
})
