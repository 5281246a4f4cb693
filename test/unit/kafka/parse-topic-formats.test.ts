import { describe, expect, it } from 'vitest'
import { isRhError } from '../../../src/errors.ts'
import { parseTopicFormats } from '../../../src/ingest/kafka/formats/parse-topic-formats.ts'

describe('parseTopicFormats', () => {
  it('reads topic:format entries', () => {
    expect(
      parseTopicFormats([
        'otlp_spans:otlp_proto',
        'spans-json:otlp_json',
        'otlp_metrics:otlp_metrics_proto',
        'releases:json',
      ]),
    ).toEqual(
      new Map([
        ['otlp_spans', 'otlp_proto'],
        ['spans-json', 'otlp_json'],
        ['otlp_metrics', 'otlp_metrics_proto'],
        ['releases', 'json'],
      ]),
    )
  })

  it.each([['otlp_spans'], ['otlp_spans:avro'], [':json'], ['']])(
    'refuses %j, naming the entry and the formats',
    (entry) => {
      let error: unknown
      try {
        parseTopicFormats([entry])
      } catch (caught) {
        error = caught
      }
      expect(isRhError(error, 'RH_CONFIG_INVALID')).toBe(true)
      expect((error as Error).message).toContain(JSON.stringify(entry))
      expect((error as Error).message).toContain(
        'otlp_proto, otlp_json, otlp_metrics_proto, otlp_metrics_json, json',
      )
    },
  )

  it('refuses a topic given two formats', () => {
    expect(() => parseTopicFormats(['a:json', 'a:otlp_json'])).toThrow(/names topic "a" twice/)
  })
})
