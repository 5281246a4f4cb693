/**
 * `release-health ingest-kafka` for worker processes started by tests, until the command is
 * registered in src/cli/main.ts: the same command object, run the way bin/release-health.js
 * runs the program. `kafka-worker-process.ts` uses the real bin as soon as it has the command.
 */
import { Command } from 'commander'
import { createIngestKafkaCommand } from '../../src/cli/commands/ingest-kafka.ts'

await new Command('release-health').addCommand(createIngestKafkaCommand()).parseAsync(process.argv)
