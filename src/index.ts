/**
 * release-health as a library: the pure statistics and the canary judge. The server, store
 * and CLI are reached through the `release-health` command.
 */
export * from './analysis/index.ts'
