import { Command, InvalidArgumentError, Option } from 'commander'
import { parseDurationSeconds } from '../../analysis/policy/parse-duration.ts'
import { runSimulation, type SimulationEvent } from '../../simulate/run-simulation.ts'
import { SCENARIOS, SCENARIO_NAMES, type ScenarioName } from '../../simulate/scenarios.ts'
import { createVerdictApiClient } from '../../simulate/verdict-api-client.ts'

interface SimulateFlags {
  readonly scenario: ScenarioName
  readonly endpoint: string
  readonly api: string
  readonly duration: number
  readonly backfill: number
  readonly rate?: number
  readonly seed: number
}

export function createSimulateCommand(): Command {
  return new Command('simulate')
    .description(
      'send realistic traffic for a scenario through the OpenTelemetry SDK and OpenFeature to a running server, and watch the verdict',
    )
    .addOption(
      new Option('--scenario <name>', 'what happens to the canary')
        .choices(SCENARIO_NAMES)
        .default('bad-release'),
    )
    .option('--endpoint <url>', 'OTLP/HTTP receiver', 'http://localhost:4318')
    .option('--api <url>', 'release-health API', 'http://localhost:8080')
    .addOption(
      new Option('--duration <duration>', 'live traffic after the backfill; 0 = backfill only')
        .argParser(parseDurationMs)
        .default(10 * 60_000, '10m'),
    )
    .addOption(
      new Option(
        '--backfill <duration>',
        'history sent first with past timestamps, so a verdict appears at once',
      )
        .argParser(parseDurationMs)
        .default(15 * 60_000, '15m'),
    )
    .option('--rate <n>', 'requests per second (default: the scenario’s)', parsePositiveNumber)
    .option('--seed <n>', 'seed of the traffic generator: same seed, same traffic', parseSeed, 1)
    .addHelpText(
      'after',
      `\nScenarios:\n${SCENARIO_NAMES.map((name) => `  ${name.padEnd(20)} ${SCENARIOS[name].summary}\n${' '.repeat(23)}expect: ${SCENARIOS[name].expected}`).join('\n')}`,
    )
    .action(async (flags: SimulateFlags) => {
      const scenario = SCENARIOS[flags.scenario]
      const apiUrl = flags.api.replace(/\/$/, '')
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      console.log(`scenario ${scenario.name}: ${scenario.summary}`)
      console.log(`expect: ${scenario.expected}`)
      try {
        const result = await runSimulation({
          scenario,
          endpoint: flags.endpoint,
          api: createVerdictApiClient(apiUrl),
          ratePerSecond: flags.rate ?? scenario.defaultRatePerSecond,
          backfillMs: flags.backfill,
          durationMs: flags.duration,
          seed: flags.seed,
          signal: stop.signal,
          onEvent: (event) => printEvent(event, apiUrl),
        })
        console.log(`final verdict: ${result.verdict.decision}`)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}

function printEvent(event: SimulationEvent, apiUrl: string): void {
  switch (event.kind) {
    case 'analysis-created':
      if (event.train) {
        console.log(`release train ${event.analysisId}`)
        console.log(`  verdict: ${apiUrl}/api/v1/trains/${event.analysisId}/verdict`)
        console.log(`  page:    ${apiUrl}/`)
        return
      }
      console.log(`analysis ${event.analysisId}`)
      console.log(`  verdict: ${apiUrl}/api/v1/analyses/${event.analysisId}/verdict`)
      console.log(`  page:    ${apiUrl}/analyses/${event.analysisId}`)
      return
    case 'backfilled':
      console.log(`sent ${event.requests} requests spread over the past ${event.minutes} minutes`)
      return
    case 'verdict':
      if (!event.changed) return
      console.log(`${new Date().toISOString()} verdict: ${event.decision}`)
      for (const reason of event.reasons.slice(0, 3)) console.log(`  - ${reason}`)
      return
    case 'finished':
      console.log(`done: ${event.requests} requests sent`)
  }
}

function parseDurationMs(value: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : parseDurationSeconds(value)
  if (seconds === undefined || seconds < 0) {
    throw new InvalidArgumentError('expected a duration such as 90s, 10m or 1h30m')
  }
  return seconds * 1000
}

function parsePositiveNumber(value: string): number {
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError('expected a number above 0')
  }
  return number
}

function parseSeed(value: string): number {
  const number = Number(value)
  if (!Number.isInteger(number)) throw new InvalidArgumentError('expected an integer')
  return number
}
