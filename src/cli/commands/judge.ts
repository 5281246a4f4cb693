import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import {
  judge,
  parseCohortResult,
  parsePolicy,
  type Decision,
  type Policy,
} from '../../analysis/index.ts'
import { isRhError, RhError, toMessage } from '../../errors.ts'

/** Exit codes of `release-health judge`, by decision; bad input exits 64 (EX_USAGE). */
export const JUDGE_EXIT_CODES: Readonly<Record<Decision, number>> = {
  promote: 0,
  continue: 0,
  rollback: 1,
  inconclusive: 2,
}
const EXIT_BAD_INPUT = 64

/** Where the command reads and writes; the defaults are the process's own. */
export interface JudgeCommandIo {
  readonly readFile: (path: string) => string
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly setExitCode: (code: number) => void
}

const DEFAULT_IO: JudgeCommandIo = {
  readFile: (path) => readFileSync(path, 'utf8'),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code
  },
}

const HELP = `
Input file (JSON):
  {
    "policy":      { ... },                  optional; --policy wins over it; {} = defaults
    "startTime":   "2026-11-22T10:00:00Z",   RFC 3339, start of the analysis
    "evaluatedAt": "2026-11-22T10:45:00Z",   RFC 3339, the moment the verdict is for
    "ingestLagSeconds": 30,                  optional; minutes ending later than this
                                              before evaluatedAt are not used yet (default 0)
    "baseline":    <cohort>,
    "canary":      <cohort>
  }
  <cohort> is the cohort's data from startTime up to evaluatedAt:
  {
    "requests": 120000, "errors": 1100,       request and failed-request counts
    "latencyMs": [12.5, 40.1, ...],           a uniform sample of request latencies (ms)
    "latencyBucketsMs": { "lower": [10, ...], "upper": [25, ...] },
                                              optional: the histogram bucket edges of each
                                              latencyMs value (null = open), when latency comes
                                              from buckets; quantiles are then bounded by them
    "minutes": [{ "startMs": 1795341600000, "requests": 2000, "errors": 19,
                  "latencyMs": [12.5, ...] }, ...],
                                              per-minute counts, ascending, required when
                                              requests > 0 (the error-rate rules and burn-rate
                                              windows use them; pooled totals never decide);
                                              a per-minute latency sample makes minutes the
                                              units of the latency rule too
    "values": { "checkout_value": [19.9, ...] }  event values of numeric metrics
  }
  or { "error": "why the query failed" } to replay a failed store query.

Policy file (--policy): YAML or JSON, e.g.
  alpha: 0.01
  analysis: { minDuration: 10m, maxDuration: 2h }
  metrics:
    - { name: error-rate, kind: error-rate, tolerance: { relative: 0.25, absolute: 0.0005 } }
    - { name: latency-p95, kind: latency, quantile: 0.95, tolerance: "10%" }
  slo: { availability: 99.9% }

Prints the verdict as JSON on stdout.
Exit codes: 0 promote or continue, 1 rollback, 2 inconclusive, 64 bad input (message on stderr).

Example:
  release-health judge --input examples/judge/cohorts.json --policy examples/judge/policy.yaml
`

/** `release-health judge`: an offline verdict from cohort data, for CI pipelines and replays. */
export function createJudgeCommand(io: Partial<JudgeCommandIo> = {}): Command {
  const { readFile, stdout, stderr, setExitCode } = { ...DEFAULT_IO, ...io }
  return new Command('judge')
    .description(
      'judge a canary offline from cohort aggregates and samples; prints the verdict JSON',
    )
    .requiredOption('--input <file>', 'cohort data (JSON, see below)')
    .option('--policy <file>', "analysis policy (YAML or JSON); defaults to the input's policy")
    .addHelpText('after', HELP)
    .action((flags: { input: string; policy?: string }) => {
      try {
        const verdict = runJudge(flags, readFile)
        stdout(`${JSON.stringify(verdict, null, 2)}\n`)
        setExitCode(JUDGE_EXIT_CODES[verdict.decision])
      } catch (error) {
        if (!isRhError(error)) throw error
        stderr(`release-health judge: ${error.message} [${error.code}]\n`)
        setExitCode(EXIT_BAD_INPUT)
      }
    })
}

function runJudge(flags: { input: string; policy?: string }, readFile: (path: string) => string) {
  const input = asObject(parseFile(flags.input, readFile, 'json'), 'the input')
  const policy: Policy = parsePolicy(
    flags.policy === undefined ? input.policy : parseFile(flags.policy, readFile, 'yaml'),
  )
  const startMs = parseTime(input.startTime, 'startTime')
  const evaluatedAtMs = parseTime(input.evaluatedAt, 'evaluatedAt')
  if (evaluatedAtMs < startMs) {
    throw new RhError('RH_API_INVALID_REQUEST', 'evaluatedAt must not be before startTime')
  }
  const lag = input.ingestLagSeconds ?? 0
  if (typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `ingestLagSeconds must be a number of seconds >= 0, got ${JSON.stringify(lag)}`,
    )
  }
  const verdict = judge({
    policy,
    baseline: parseCohortResult(input.baseline, 'baseline'),
    canary: parseCohortResult(input.canary, 'canary'),
    startMs,
    evaluatedAtMs,
    ingestLagMs: lag * 1000,
  })
  return {
    ...verdict,
    evaluatedAt: new Date(evaluatedAtMs).toISOString(),
    window: { from: new Date(startMs).toISOString(), to: new Date(evaluatedAtMs).toISOString() },
  }
}

function parseFile(
  path: string,
  readFile: (path: string) => string,
  format: 'json' | 'yaml',
): unknown {
  let text: string
  try {
    text = readFile(path)
  } catch (error) {
    throw new RhError('RH_API_INVALID_REQUEST', `cannot read ${path}: ${toMessage(error)}`)
  }
  try {
    return format === 'json' ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown)
  } catch (error) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${path} is not valid ${format.toUpperCase()}: ${toMessage(error)}`,
    )
  }
}

function parseTime(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (!Number.isFinite(ms)) {
    throw new RhError(
      'RH_API_INVALID_REQUEST',
      `${field} must be an RFC 3339 time such as "2026-11-22T10:00:00Z", got ${JSON.stringify(value) ?? 'nothing'}`,
    )
  }
  return ms
}

function asObject(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RhError('RH_API_INVALID_REQUEST', `${what} must be a JSON object`)
  }
  return value as Readonly<Record<string, unknown>>
}
