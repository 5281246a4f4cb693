import type { RunningApp } from '../../src/app.ts'
import { buildTracePayload, type PayloadSpanSpec } from './otel-payloads.ts'

export interface TrafficSpec {
  readonly service: string
  readonly release: string
  readonly environment?: string
  readonly flags?: Readonly<Record<string, string>>
  readonly requests: number
  /** Every n-th request fails (HTTP 500, status error); 0 = none. */
  readonly failEvery: number
  /** Requests are spread evenly over [fromMs, toMs). */
  readonly fromMs: number
  readonly toMs: number
  /** Latency of request i in ms; default 20 to 60 ms. */
  readonly latencyMs?: (index: number) => number
  /** Bearer token with the ingest scope, when the server requires one. */
  readonly token?: string
}

/** Sends server spans through the OTLP/HTTP receiver, as SDK-serialized protobuf, in chunks. */
export async function sendTraffic(app: RunningApp, spec: TrafficSpec): Promise<void> {
  const chunk = 2_000
  for (let first = 0; first < spec.requests; first += chunk) {
    const spans: PayloadSpanSpec[] = []
    for (let index = first; index < Math.min(spec.requests, first + chunk); index++) {
      const startMs = spec.fromMs + ((spec.toMs - spec.fromMs) * index) / spec.requests
      const failed = spec.failEvery > 0 && index % spec.failEvery === 0
      const latencyMs = spec.latencyMs?.(index) ?? 20 + (index % 41)
      spans.push({
        name: 'GET /items',
        kind: 'server',
        startTimeUnixNano: BigInt(Math.floor(startMs)) * 1_000_000n,
        durationNs: BigInt(Math.round(latencyMs * 1_000_000)),
        attributes: { 'http.route': '/items', 'http.response.status_code': failed ? 500 : 200 },
        ...(spec.flags === undefined ? {} : { flags: spec.flags }),
        ...(failed ? { error: 'upstream failed' } : {}),
      })
    }
    const payload = buildTracePayload({
      service: spec.service,
      release: spec.release,
      environment: spec.environment ?? 'production',
      spans,
    })
    const response = await fetch(`${app.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      body: payload.protobuf,
      headers: {
        'content-type': 'application/x-protobuf',
        ...(spec.token === undefined ? {} : { authorization: `Bearer ${spec.token}` }),
      },
    })
    if (response.status !== 200) throw new Error(`ingest answered ${response.status}`)
  }
}
