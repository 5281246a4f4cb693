import { describe, expect, it } from 'vitest'
import { toApiError } from '../../../src/api/api-errors.ts'
import { RhError } from '../../../src/errors.ts'

describe('toApiError', () => {
  it('passes an expected error through unchanged', () => {
    const expected = new RhError('RH_API_NOT_FOUND', 'no analysis with id "x"')
    expect(toApiError(expected)).toBe(expected)
  })

  it('turns a validation failure into a 400 naming the field', () => {
    const error = Object.assign(new Error("body must have required property 'service'"), {
      validation: [],
    })
    expect(toApiError(error)).toMatchObject({
      code: 'RH_API_INVALID_REQUEST',
      status: 400,
      message: expect.stringMatching(/service/),
    })
  })

  it('turns a body over the limit into a 413 that names the limit', () => {
    const error = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    })
    expect(toApiError(error, { maxBodyBytes: 1024 })).toMatchObject({
      code: 'RH_API_BODY_TOO_LARGE',
      status: 413,
      retriable: false,
      message: expect.stringMatching(/1024 bytes/),
    })
  })

  it('turns a passing store failure into a retriable 503 with a retry delay', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(toApiError(error)).toMatchObject({
      code: 'RH_STORE_QUERY_FAILED',
      status: 503,
      retriable: true,
      retryAfterSeconds: 5,
    })
  })

  it('reports a bug as a 500 without its internals', () => {
    const mapped = toApiError(
      new TypeError("Cannot read properties of undefined (reading 'secret')"),
    )
    expect(mapped).toMatchObject({ code: 'RH_INTERNAL', status: 500, retriable: false })
    expect(mapped.message).not.toMatch(/secret/)
  })
})
