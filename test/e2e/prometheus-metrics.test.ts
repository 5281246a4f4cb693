import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../src/app.ts'
import { startTestApp } from '../helpers/app.ts'
import { sendTraffic } from '../helpers/traffic.ts'

/** Metric families in a Prometheus text exposition: name -> type. */
function families(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
  )
}

/** The value of the first sample with this name and these labels. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find(
      (row) =>
        (row.startsWith(`${name} `) || row.startsWith(`${name}{`)) &&
        labels.split(',').every((label) => row.includes(label)),
    )
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

let app: RunningApp
let atStart: string

beforeAll(async () => {
  app = await startTestApp()
  atStart = await (await fetch(`${app.apiUrl}/metrics`)).text()
})
afterAll(() => app.stop())

describe('GET /metrics by Prometheus conventions', () => {
  it('has every release-health series from the start, before any traffic', () => {
    for (const outcome of ['accepted', 'rejected']) {
      expect(sample(atStart, 'rh_ingest_spans_total', `outcome="${outcome}"`)).toBe(0)
    }
    for (const decision of ['promote', 'continue', 'rollback', 'inconclusive']) {
      expect(sample(atStart, 'rh_verdict_evaluations_total', `decision="${decision}"`)).toBe(0)
    }
    expect(sample(atStart, 'rh_ingest_requests_total', 'http_response_status_code="200"')).toBe(0)
    expect(sample(atStart, 'rh_writer_queue_rows')).toBe(0)
    for (const histogram of [
      'rh_writer_batch_rows',
      'rh_writer_write_duration_seconds',
      'rh_verdict_evaluation_duration_seconds',
    ]) {
      expect(sample(atStart, `${histogram}_count`)).toBe(0)
      expect(sample(atStart, `${histogram}_bucket`, 'le="+Inf"')).toBe(0)
    }
  })

  it('has the process and runtime metrics every Prometheus client exposes', () => {
    const types = families(atStart)
    expect(Object.fromEntries(types)).toMatchObject({
      process_cpu_seconds_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      process_cpu_system_seconds_total: 'counter',
      process_start_time_seconds: 'gauge',
      process_resident_memory_bytes: 'gauge',
      process_open_fds: 'gauge',
      process_max_fds: 'gauge',
      nodejs_heap_size_total_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_external_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
      nodejs_eventloop_utilization_ratio: 'gauge',
      nodejs_active_resources: 'gauge',
      nodejs_version_info: 'gauge',
    })
    expect(sample(atStart, 'process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 3600)
    expect(sample(atStart, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000)
    expect(sample(atStart, 'nodejs_version_info', `version="${process.version}"`)).toBe(1)
  })

  it('names counters with _total, durations in seconds with _seconds, and nothing in milliseconds', () => {
    for (const [name, type] of families(atStart)) {
      if (type === 'counter') expect(name).toMatch(/_total$/)
      expect(name).not.toMatch(/_ms\b|_ms_|millis/)
      if (type === 'histogram' && !name.endsWith('_rows')) expect(name).toMatch(/_seconds$/)
    }
  })

  it('counts ingest, written batches and API requests by route once there is traffic', async () => {
    const nowMs = Date.now()
    await sendTraffic(app, {
      service: 'metrics',
      release: '1',
      requests: 10,
      failEvery: 0,
      fromMs: nowMs - 60_000,
      toMs: nowMs,
    })
    await fetch(`${app.apiUrl}/api/v1/analyses`)
    const text = await (await fetch(`${app.apiUrl}/metrics`)).text()
    expect(sample(text, 'rh_ingest_spans_total', 'outcome="accepted"')).toBe(10)
    expect(sample(text, 'rh_writer_write_duration_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(
      sample(text, 'http_server_request_duration_seconds_count', 'http_route="/api/v1/analyses"'),
    ).toBe(1)
    // One family per name: the zero series gave way to the recorded histogram.
    expect(text.match(/^# TYPE rh_writer_write_duration_seconds /gm)).toHaveLength(1)
  })
})
