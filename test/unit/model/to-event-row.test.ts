import { describe, expect, it } from 'vitest'
import { toEventRow } from '../../../src/model/to-event-row.ts'

const LIMITS = { maxAttributes: 3 }

const EVENT = {
  schemaVersion: 1,
  timestamp: '2026-11-22T10:00:00.123456789Z',
  service: 'checkout',
  environment: 'production',
  release: '1.5.0',
  flags: { 'new-checkout': 'on' },
  name: 'checkout.completed',
  value: 182.5,
  outcome: 'success',
  attributes: { region: 'eu-west-1', tenant: 42, beta: true },
}

describe('toEventRow', () => {
  it('maps a complete release event to an events row', () => {
    expect(toEventRow(EVENT, LIMITS)).toEqual({
      ok: true,
      row: {
        timestamp: '1795341600123456789',
        service: 'checkout',
        environment: 'production',
        release: '1.5.0',
        flags: { 'new-checkout': 'on' },
        name: 'checkout.completed',
        value: 182.5,
        outcome: 'success',
        attributes: { region: 'eu-west-1', tenant: '42', beta: 'true' },
      },
    })
  })

  it('fills the optional fields with empty values and a missing value with null', () => {
    const minimal = {
      schemaVersion: 1,
      timestamp: '2026-11-22T10:00:00Z',
      service: 'checkout',
      name: 'login',
      outcome: 'failure',
    }
    expect(toEventRow(minimal, LIMITS)).toEqual({
      ok: true,
      row: {
        timestamp: '1795341600000000000',
        service: 'checkout',
        environment: '',
        release: '',
        flags: {},
        name: 'login',
        value: null,
        outcome: 'failure',
        attributes: {},
      },
    })
  })

  it('accepts an event with a value and no outcome', () => {
    expect(toEventRow({ ...EVENT, outcome: undefined }, LIMITS)).toMatchObject({
      ok: true,
      row: { outcome: '' },
    })
  })

  it('keeps an attribute named __proto__ as an attribute', () => {
    const event = JSON.parse(
      JSON.stringify(EVENT).replace('"region"', '"__proto__":"x","region"'),
    ) as typeof EVENT
    const result = toEventRow(event, { maxAttributes: 4 })
    expect(result.ok && Object.entries(result.row.attributes)).toEqual([
      ['__proto__', 'x'],
      ['region', 'eu-west-1'],
      ['tenant', '42'],
      ['beta', 'true'],
    ])
  })

  it('ignores fields it does not know, so producers can add some', () => {
    expect(toEventRow({ ...EVENT, traceId: 'abc', extra: { nested: true } }, LIMITS).ok).toBe(true)
  })

  it.each([
    ['not an object', [EVENT], /must be a JSON object, got \[/],
    ['another schema version', { ...EVENT, schemaVersion: 2 }, /schemaVersion must be 1, got 2/],
    [
      'no schema version',
      { ...EVENT, schemaVersion: undefined },
      /schemaVersion must be 1, got nothing/,
    ],
    [
      'a timestamp in milliseconds',
      { ...EVENT, timestamp: 1795341600000 },
      /timestamp must be an RFC 3339/,
    ],
    [
      'a timestamp before 1970',
      { ...EVENT, timestamp: '1969-12-31T23:59:59Z' },
      /from 1970 to before 2100/,
    ],
    [
      'a timestamp in 2100, past what the retention and the per-minute tables hold',
      { ...EVENT, timestamp: '2100-01-01T00:00:00Z' },
      /from 1970 to before 2100/,
    ],
    [
      'no service',
      { ...EVENT, service: undefined },
      /service must be a non-empty string, got nothing/,
    ],
    ['an empty name', { ...EVENT, name: '' }, /name must be a non-empty string, got ""/],
    [
      'a numeric release',
      { ...EVENT, release: 15 },
      /release must be a string when present, got 15/,
    ],
    ['a value that is a string', { ...EVENT, value: '182.5' }, /value must be a finite number/],
    [
      'an unknown outcome',
      { ...EVENT, outcome: 'ok' },
      /outcome must be one of success, failure, got "ok"/,
    ],
    [
      'neither value nor outcome',
      { ...EVENT, value: undefined, outcome: undefined },
      /needs a value, an outcome or both/,
    ],
    ['flags that are a list', { ...EVENT, flags: ['on'] }, /flags must be a JSON object/],
    [
      'a nested attribute',
      { ...EVENT, attributes: { deep: { a: 1 } } },
      /attributes.deep must be a string, number or boolean/,
    ],
    [
      'too many attributes',
      { ...EVENT, attributes: { a: 1, b: 2, c: 3, d: 4 } },
      /attributes has 4 entries, more than the limit of 3/,
    ],
  ])('refuses %s, saying which field is wrong', (_, document, message) => {
    const result = toEventRow(document, LIMITS)
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.error).toMatch(message)
  })
})
