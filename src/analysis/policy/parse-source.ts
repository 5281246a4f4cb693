import {
  DEFAULT_ERROR_RULE,
  DEFAULT_STATUS_ATTRIBUTE,
  DEFAULT_REQUEST_METRIC,
  OTEL_TRACES_SOURCE,
  SPAN_TABLES,
  SPANS_SOURCE,
  type DataSource,
  type ErrorRule,
  type MetricSelector,
} from './data-source.ts'
import { fail, join, readChoice, readNumber, readObject, readString } from './policy-reader.ts'

const PATH = 'source'

/**
 * Validates `policy.source`. Spans: omitted, `spans` or `{ kind: spans }` reads the instance's
 * default span table (release-health's own `spans`, or the Collector ClickHouse exporter's
 * table when the instance reads that by default); `otel_traces` (or `{ kind: otel_traces }`)
 * reads the exporter's table, and `{ kind: spans, table: spans | otel_traces }` names either.
 * Whether the instance has an exporter table to read is checked where analyses are created,
 * not here. `metrics` (or an object with `kind: metrics`) reads an OTLP metric, by default the
 * semantic-convention `http.server.request.duration` histogram. A metric is named by a string
 * or by `{ metric, where }`, `where` mapping point attributes to the values they must have.
 */
export function parseSource(raw: unknown): DataSource {
  if (raw === undefined || raw === null || raw === 'spans') return SPANS_SOURCE
  if (raw === 'otel_traces') return OTEL_TRACES_SOURCE
  if (raw === 'metrics') return parseMetrics({})
  const fields = readObject(raw, PATH, ['kind', 'table', 'requests', 'errors', 'latency'])
  const kind = readChoice(fields, 'kind', PATH, ['spans', 'otel_traces', 'metrics'] as const)
  if (kind === 'metrics') {
    if (fields.table !== undefined) {
      fail(join(PATH, 'table'), 'left out when reading metrics', fields.table)
    }
    return parseMetrics(fields)
  }
  for (const key of ['requests', 'errors', 'latency']) {
    if (fields[key] !== undefined) fail(join(PATH, key), 'left out when reading spans', fields[key])
  }
  if (kind === 'otel_traces') {
    if (fields.table !== undefined) {
      fail(join(PATH, 'table'), 'left out for kind otel_traces', fields.table)
    }
    return OTEL_TRACES_SOURCE
  }
  if (fields.table === undefined) return SPANS_SOURCE
  const table = readChoice(fields, 'table', PATH, SPAN_TABLES)
  return table === 'otel_traces' ? OTEL_TRACES_SOURCE : { kind: 'spans', table }
}

function parseMetrics(fields: Readonly<Record<string, unknown>>): DataSource {
  const requests = parseSelector(fields.requests, join(PATH, 'requests'), DEFAULT_REQUEST_METRIC)
  // Latency not named: the requests histogram, with the same attribute filter.
  const latency =
    fields.latency === null
      ? null
      : fields.latency === undefined
        ? requests
        : parseSelector(fields.latency, join(PATH, 'latency'), requests.metric)
  return { kind: 'metrics', requests, errors: parseErrors(fields.errors), latency }
}

function parseSelector(raw: unknown, path: string, fallback: string): MetricSelector {
  if (raw === undefined) return { metric: fallback, where: {} }
  if (typeof raw === 'string') {
    if (raw.trim() === '') fail(path, 'a metric name or { metric, where }', raw)
    return { metric: raw, where: {} }
  }
  const fields = readObject(raw, path, ['metric', 'where'])
  return { metric: readString(fields, 'metric', path), where: parseWhere(fields.where, path) }
}

function parseWhere(raw: unknown, path: string): Record<string, string> {
  const at = join(path, 'where')
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail(at, 'an object of attribute: value', raw)
  }
  const where: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '') fail(at, 'attribute names that are not empty', key)
    // Attributes are stored as text: 200 and "200" select the same points.
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      fail(join(at, key), 'a string, number or boolean', value)
    }
    where[key] = String(value)
  }
  return where
}

function parseErrors(raw: unknown): ErrorRule {
  const path = join(PATH, 'errors')
  if (raw === undefined || raw === null) return DEFAULT_ERROR_RULE
  if (typeof raw === 'string') return { kind: 'metric', metric: raw, where: {} }
  const fields = readObject(raw, path, [
    'kind',
    'metric',
    'where',
    'statusAttribute',
    'minStatus',
    'errorTypeAttribute',
  ])
  const byMetric = fields.metric !== undefined || fields.where !== undefined
  const kind = readChoice(
    fields,
    'kind',
    path,
    ['attributes', 'metric'] as const,
    byMetric ? 'metric' : 'attributes',
  )
  if (kind === 'metric') {
    for (const key of ['statusAttribute', 'minStatus', 'errorTypeAttribute']) {
      if (fields[key] !== undefined)
        fail(join(path, key), 'left out when errors name a metric', fields[key])
    }
    return {
      kind,
      metric: readString(fields, 'metric', path),
      where: parseWhere(fields.where, path),
    }
  }
  if (byMetric)
    fail(join(path, 'metric'), 'left out when errors are read from attributes', fields.metric)
  const errorType = fields.errorTypeAttribute
  if (errorType !== undefined && typeof errorType !== 'string') {
    fail(join(path, 'errorTypeAttribute'), "an attribute name, or '' for none", errorType)
  }
  return {
    kind,
    statusAttribute: readString(fields, 'statusAttribute', path, DEFAULT_STATUS_ATTRIBUTE),
    minStatus: readNumber(fields, 'minStatus', path, 500, { min: 100, max: 599, integer: true }),
    errorTypeAttribute: errorType ?? 'error.type',
  }
}
