import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts'
import { decodeLogs } from '../../../src/ingest/otlp/decode-logs.ts'
import { decodeTraces } from '../../../src/ingest/otlp/decode-traces.ts'
import { toMappingOptions } from '../../../src/model/to-span-rows.ts'
import {
  createFlagEvaluationLinker,
  type FlagEvaluationLinker,
} from '../../../src/store/flag-evaluation-linker.ts'
import { insertEncoded } from '../../../src/store/insert-rows.ts'
import { encodeLogsBlock, LOG_COLUMNS } from '../../../src/store/logs-block.ts'
import { encodeSpansBlock } from '../../../src/store/spans-block.ts'
import type { Store } from '../../../src/store/store-client.ts'
import { TABLE_COLUMNS } from '../../../src/store/table-columns.ts'
import { buildLogsPayload } from '../../helpers/otel-log-payloads.ts'
import { buildTracePayload, type PayloadSpanSpec } from '../../helpers/otel-payloads.ts'
import { createMigratedTestStore, queryRows, uniqueName } from '../../helpers/store.ts'

/**
 * The flag-evaluation linker against a real store: `feature_flag.evaluation` log records
 * joined to the entry spans they name, whatever order and request they arrive in, so that
 * flag cohorts count those requests as if the flag had come as a span event.
 */
const MAPPING = toMappingOptions(DEFAULT_CONFIG)
const SPAN_WAIT_MS = 120_000
const NOW_MS = Date.now() - 10 * 60_000
const OPTIONS = {
  retentionCutoffNs: 0n,
  retentionDays: 3650,
  receivedAtNs: BigInt(Date.now()) * 1_000_000n,
}

let store: Store
beforeAll(async () => {
  store = await createMigratedTestStore()
})
afterAll(() => store.close())

/** Spans written as the receivers write them: decoded, then one Native insert. */
async function storeSpans(service: string, spans: readonly PayloadSpanSpec[]) {
  const payload = buildTracePayload({ service, release: '1.0.0', environment: 'prod', spans })
  const { chunk } = decodeTraces(payload.protobuf, 'protobuf', MAPPING, OPTIONS)
  await insertEncoded(store, {
    table: 'spans',
    columns: TABLE_COLUMNS.spans,
    format: 'Native',
    body: encodeSpansBlock([chunk]),
    rows: chunk.rows,
    deduplicationToken: uniqueName('spans'),
  })
  return payload.spans.map((span) => span.spanContext())
}

/** One `feature_flag.evaluation` log record per span, naming it. */
async function storeEvaluations(
  service: string,
  evaluations: readonly { traceId: string; spanId: string; variant: string; key?: string }[],
) {
  const payload = buildLogsPayload({
    service,
    release: '1.0.0',
    environment: 'prod',
    logs: evaluations.map((evaluation) => ({
      eventName: 'feature_flag.evaluation',
      attributes: {
        'feature_flag.key': evaluation.key ?? 'checkout-v2',
        'feature_flag.result.variant': evaluation.variant,
      },
      traceId: evaluation.traceId,
      spanId: evaluation.spanId,
      timestampMs: NOW_MS,
    })),
  })
  const { chunk } = decodeLogs(payload.protobuf, 'protobuf', MAPPING, OPTIONS)
  await insertEncoded(store, {
    table: 'logs',
    columns: LOG_COLUMNS,
    format: 'Native',
    body: encodeLogsBlock([chunk]),
    rows: chunk.rows,
    deduplicationToken: uniqueName('logs'),
  })
}

const entrySpan = (index: number): PayloadSpanSpec => ({
  name: 'POST /checkout',
  kind: 'server',
  startTimeUnixNano: BigInt(NOW_MS + index) * 1_000_000n,
})

/** The rollup's requests per variant of the flag, as flag cohorts read them. */
async function rollupVariants(service: string, key = 'checkout-v2') {
  const rows = await queryRows<{ flag_variant: string; requests: string }>(
    store,
    `SELECT flag_variant, sum(requests) AS requests FROM ${store.database}.request_rollup_1m
     WHERE service = {service:String} AND flag_key = {key:String}
     GROUP BY flag_variant ORDER BY flag_variant`,
    { service, key },
  )
  return Object.fromEntries(rows.map((row) => [row.flag_variant, Number(row.requests)]))
}

function linker(now: () => number = Date.now) {
  return createFlagEvaluationLinker({ store, intervalMs: 60_000, spanWaitMs: SPAN_WAIT_MS, now })
}

/** The linker of these tests; the first to say it is alive, so the one that links. */
let clockOffsetMs = 0
let shared: FlagEvaluationLinker
beforeAll(() => {
  shared = linker(() => Date.now() + clockOffsetMs)
})

describe('the flag-evaluation linker', () => {
  it('counts requests whose evaluation arrived after the span, in another request', async () => {
    const spans = await storeSpans('late-log', [entrySpan(0), entrySpan(1), entrySpan(2)])
    expect(await rollupVariants('late-log')).toEqual({})
    await storeEvaluations(
      'late-log',
      spans.map((span, index) => ({ ...span, variant: index === 0 ? 'off' : 'on' })),
    )
    expect((await shared.linkOnce()).ran).toBe(true)
    expect(await rollupVariants('late-log')).toEqual({ off: 1, on: 2 })
    const [sample] = await queryRows<{ n: string }>(
      store,
      `SELECT length(groupArraySortedMerge(256)(sample)) AS n FROM ${store.database}.latency_sample_1m
       WHERE service = 'late-log' AND flag_key = 'checkout-v2' AND flag_variant = 'on'`,
    )
    expect(sample?.n).toBe('2')
  })

  it('counts requests whose span arrived after the evaluation, within the span wait', async () => {
    // The evaluation names a span that is not stored yet: nothing to link.
    const early = storeSpansLater('late-span')
    await storeEvaluations('late-span', [{ ...early.ids, variant: 'on' }])
    expect((await shared.linkOnce()).ran).toBe(true)
    expect(await rollupVariants('late-span')).toEqual({})
    await early.store()
    await shared.linkOnce()
    expect(await rollupVariants('late-span')).toEqual({ on: 1 })
  })

  it('leaves an evaluation whose span came later than the span wait', async () => {
    const late = storeSpansLater('too-late')
    await storeEvaluations('too-late', [{ ...late.ids, variant: 'on' }])
    await late.store()
    // Seen from a pass after the wait has passed for that evaluation.
    clockOffsetMs = SPAN_WAIT_MS + 60_000
    try {
      expect(await shared.linkOnce()).toEqual({ ran: false, reason: 'nothing waiting' })
    } finally {
      clockOffsetMs = 0
    }
    expect(await rollupVariants('too-late')).toEqual({})
  })

  it('links each span and flag once, however many passes run', async () => {
    const spans = await storeSpans('once', [entrySpan(0), entrySpan(1)])
    await storeEvaluations('once', [{ ...spans[0]!, variant: 'on' }])
    await shared.linkOnce()
    await storeEvaluations('once', [{ ...spans[1]!, variant: 'off' }])
    await shared.linkOnce()
    await shared.linkOnce()
    expect(await rollupVariants('once')).toEqual({ off: 1, on: 1 })
    const [links] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.database}.span_log_flags WHERE service = 'once'`,
    )
    expect(links?.n).toBe('2')
  })

  it('keeps the variant a span carries itself, and never links a span that is not a request', async () => {
    const spans = await storeSpans('own-flag', [
      { ...entrySpan(0), flags: { 'checkout-v2': 'on' } },
      { name: 'SELECT cart', kind: 'client', parentIndex: 0 },
    ])
    await storeEvaluations('own-flag', [
      { ...spans[0]!, variant: 'off' },
      { ...spans[1]!, variant: 'off' },
    ])
    await shared.linkOnce()
    expect(await rollupVariants('own-flag')).toEqual({ on: 1 })
  })

  it('links in one process at a time when several share the store', async () => {
    const spans = await storeSpans('shared', [entrySpan(0)])
    await storeEvaluations('shared', [{ ...spans[0]!, variant: 'on' }])
    const newcomer = linker()
    expect(await newcomer.linkOnce()).toEqual({
      ran: false,
      reason: 'another linker holds the lease',
    })
    expect(await rollupVariants('shared')).toEqual({})
    expect((await shared.linkOnce()).ran).toBe(true)
    expect(await rollupVariants('shared')).toEqual({ on: 1 })
  })
})

/** A span's ids now, and a way to store it later (a span still on its way). */
function storeSpansLater(service: string) {
  const payload = buildTracePayload({
    service,
    release: '1.0.0',
    environment: 'prod',
    spans: [entrySpan(0)],
  })
  const context = payload.spans[0]!.spanContext()
  return {
    ids: { traceId: context.traceId, spanId: context.spanId },
    store: async () => {
      const { chunk } = decodeTraces(payload.protobuf, 'protobuf', MAPPING, OPTIONS)
      await insertEncoded(store, {
        table: 'spans',
        columns: TABLE_COLUMNS.spans,
        format: 'Native',
        body: encodeSpansBlock([chunk]),
        rows: chunk.rows,
        deduplicationToken: uniqueName('spans'),
      })
    },
  }
}
