import { describe, expect, it } from 'vitest'
import { isRetriableStoreError, withRetry } from '../../../src/store/retry.ts'

const clickHouseError = (code: string) => Object.assign(new Error(`code ${code}`), { code })

describe('isRetriableStoreError', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      true,
    ],
    ['TOO_MANY_PARTS (252)', clickHouseError('252'), true],
    ['MEMORY_LIMIT_EXCEEDED (241)', clickHouseError('241'), true],
    ['a timeout', new Error('Timeout error.'), true],
    [
      'a retriable cause under a wrapper',
      new Error('wrapped', { cause: clickHouseError('210') }),
      true,
    ],
    ['a syntax error (62)', clickHouseError('62'), false],
    ['an unknown table (60)', clickHouseError('60'), false],
    ['a programming error', new TypeError('x is undefined'), false],
    ['a non-error value', 'boom', false],
  ])('says %s is retriable: %s', (_name, error, expected) => {
    expect(isRetriableStoreError(error)).toBe(expected)
  })
})

describe('withRetry', () => {
  const noSleep = () => Promise.resolve()

  it('repeats a retriable failure until it succeeds', async () => {
    let calls = 0
    const result = await withRetry(
      () => (++calls < 3 ? Promise.reject(clickHouseError('252')) : Promise.resolve('ok')),
      { sleep: noSleep },
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
  })

  it('gives up after the last delay with the last error', async () => {
    let calls = 0
    await expect(
      withRetry(() => (calls++, Promise.reject(clickHouseError('252'))), {
        sleep: noSleep,
        delaysMs: [1, 1],
      }),
    ).rejects.toThrow('code 252')
    expect(calls).toBe(3)
  })

  it('never repeats a permanent failure', async () => {
    let calls = 0
    await expect(
      withRetry(() => (calls++, Promise.reject(clickHouseError('62'))), { sleep: noSleep }),
    ).rejects.toThrow()
    expect(calls).toBe(1)
  })
})
